using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Wal;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark wal fetch %f %p': restore_command.</summary>
public static class WalFetchCommand
{
    public static Command Create()
    {
        var name = new Argument<string>("name") { Description = "The WAL file to fetch (%f)", HelpName = "NAME" };
        var path = new Argument<string>("path") { Description = "Where to write it (%p)", HelpName = "PATH" };
        var command = new Command("fetch",
            "Fetch one archived WAL file, check it, and write it atomically to PATH. A file that is not archived exits 1 " +
            "with one short line (recovery asks for files past the end of the archive, and for .history files, routinely). " +
            "Use as restore_command = '/abs/bulwark wal fetch %f %p --config /abs/bulwark.yml'. " + WalCommand.ConfigHelp)
        {
            name, path,
        };
        command.SetHandler(async (run, ct) =>
        {
            var file = run.Get(name);
            var found = await new WalFetchOperation(run.Context).RunAsync(file, run.Get(path), ct);
            if (run.Json)
                run.Output.WriteJson(new WalFetchResult(file, found));
            else if (!found && !file.EndsWith(".history", StringComparison.Ordinal))
                Console.Error.WriteLine($"{file}: not archived");
            return found ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Integrity);
    }
}
