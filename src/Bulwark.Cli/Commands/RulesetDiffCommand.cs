using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetDiffCommand
{
    public static Command Create()
    {
        var from = new Argument<string>("from") { Description = "The older version" };
        var to = new Argument<string?>("to") { Description = "The newer version (default: the working file)", Arity = ArgumentArity.ZeroOrOne };
        var file = new Option<string?>("--file") { Description = "Compare FROM with this file instead (e.g. an environment's file that drifted)", HelpName = "PATH" };
        var name = RulesetCommand.NameOption();
        var command = new Command("diff", "A unified diff between two versions, or from a version to the working file (or --file).")
        {
            from, to, file, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var diff = await new RulesetOperations(run.Context).DiffAsync(run.Get(from), run.Get(to), run.Get(file), run.Get(name), ct);
            if (run.Json)
                run.Output.WriteJson(new JsonOutputs.RulesetDiff(run.Get(from), run.Get(to), diff.Length == 0, diff));
            else
                Console.Out.Write(diff);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }
}
