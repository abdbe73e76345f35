using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetRollbackCommand
{
    public static Command Create()
    {
        var version = new Argument<string?>("version")
        {
            Description = "The version to go back to (default: the one active before the current one)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var environment = new Option<string>("--env") { Description = "The environment", HelpName = "ENV", Required = true };
        var author = RulesetCommand.AuthorOption();
        var force = RulesetCommand.ForceOption();
        var name = RulesetCommand.NameOption();
        var command = new Command("rollback",
            "Activate the previously active version again (or the one named). Repeated rollbacks walk further back.")
        {
            version, environment, author, force, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var result = await new RulesetOperations(run.Context).RollbackVersionAsync(
                run.Get(environment), run.Get(version), run.Get(author), run.Get(force), run.Get(name), ct);
            return RulesetCommand.RenderActivation(run, result, "rolled back");
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.StorageUnavailable, ExitCodes.Refused, ExitCodes.Integrity);
    }
}
