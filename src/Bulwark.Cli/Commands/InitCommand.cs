using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Repositories;

namespace Bulwark.Cli.Commands;

public static class InitCommand
{
    public static Command Create()
    {
        var location = new Argument<string?>("location")
        {
            Description = "Where to create the repository (default: --repo or 'repository:' of the configuration)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("init",
            "Create a repository, and a commented bulwark.yml in this folder when there is no configuration.")
        {
            location,
        };
        command.SetHandler(async (run, ct) =>
        {
            var (repository, id, written) = await new InitOperation(run.Context).RunAsync(run.Get(location),
                Environment.CurrentDirectory, ct);
            if (run.Json)
            {
                run.Output.WriteJson(new { repository, id, configWritten = written });
                return ExitCodes.Ok;
            }
            run.Output.Line($"created repository {id} at {repository}");
            if (written is not null)
                run.Output.Line($"wrote {written}: set 'postgres.url' there, then run 'bulwark backup'");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(0, 2, 3, 6);
    }
}
