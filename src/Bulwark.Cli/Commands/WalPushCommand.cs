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
        var asyncMode = new Option<bool>("--async")
        {
            Description = "Also start a background pusher that stores the segments PostgreSQL has marked ready " +
                          "(pg_wal/archive_status/*.ready) ahead, several at once, with one repository open; a push " +
                          "whose file it already stored returns at once. Still exits 0 only for a durable file: either " +
                          "the pusher's receipt matches this file's SHA-256 and length, or this push stored it itself",
        };
        var command = new Command("push",
            "Archive one WAL file (segment, .partial, .history or .backup) into the repository; exits 0 only once it is " +
            "durable there. Pushing a file already archived with the same content succeeds; with other content it is " +
            "refused (exit 11, an alert) and the archived file is kept. Use as " +
            "archive_command = '/abs/bulwark wal push %p --config /abs/bulwark.yml'. " + WalCommand.ConfigHelp)
        {
            path, asyncMode,
        };
        command.SetHandler(async (run, ct) =>
        {
            var file = run.Get(path);
            var result = await new WalPushOperation(run.Context).RunAsync(file, ct,
                run.Get(asyncMode) ? () => WalAheadCommand.CommandLine(run, Path.GetDirectoryName(Path.GetFullPath(file))!) : null);
            if (run.Json)
                run.Output.WriteJson(result);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Integrity, ExitCodes.WalConflict);
    }
}
