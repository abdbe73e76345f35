using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Wal;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark wal push %p': archive_command.</summary>
public static class WalPushCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "The WAL file to archive (%p)", HelpName = "PATH" };
        var command = new Command("push",
            "Archive one WAL file (segment, .partial, .history or .backup) into the repository; exits 0 only once it is " +
            "durable there. Pushing a file already archived with the same content succeeds; with other content it is " +
            "refused (exit 11, an alert) and the archived file is kept. Use as " +
            "archive_command = '/abs/bulwark wal push %p --config /abs/bulwark.yml'. " + WalCommand.ConfigHelp)
        {
            path,
        };
        command.SetHandler(async (run, ct) =>
        {
            var result = await new WalPushOperation(run.Context).RunAsync(run.Get(path), ct);
            if (run.Json)
                run.Output.WriteJson(result);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Integrity, ExitCodes.WalConflict);
    }
}
