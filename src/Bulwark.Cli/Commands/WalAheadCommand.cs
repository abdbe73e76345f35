using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Wal;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark wal push-ahead DIR' (hidden): the background pusher that 'wal push --async' starts.</summary>
public static class WalAheadCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("pg-wal") { Description = "The server's pg_wal folder", HelpName = "DIR" };
        var command = new Command("push-ahead", "The background pusher of 'wal push --async' (started by it).")
        {
            folder,
        };
        command.Hidden = true;
        command.SetHandler(async (run, ct) =>
        {
            var stored = await new WalAsyncArchiver(run.Context).RunBackgroundAsync(run.Get(folder), ct);
            if (run.Json)
                run.Output.WriteJson(new WalFetchResult($"{stored} files", stored > 0));
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Repository);
    }

    /// <summary>How this program starts itself as the pusher for <paramref name="walFolder"/>, with the same configuration.</summary>
    internal static IReadOnlyList<string> CommandLine(Invocation run, string walFolder)
    {
        var arguments = new List<string>();
        var self = Environment.ProcessPath ?? "bulwark";
        arguments.Add(self);
        // Run as 'dotnet bulwark.dll': the host needs the program's assembly.
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            arguments.Add(Path.Combine(AppContext.BaseDirectory, "bulwark.dll"));
        arguments.AddRange(["wal", "push-ahead", walFolder]);
        if (run.Context.Config.FilePath is { } config)
            arguments.AddRange(["--config", Path.GetFullPath(config)]);
        if (run.ParseResult.GetValue(GlobalOptions.Repository) is { } repository)
            arguments.AddRange(["--repo", repository]);
        return arguments;
    }
}
