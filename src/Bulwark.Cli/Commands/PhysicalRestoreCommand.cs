using System.Text.Json;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Restore;
using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark restore --to-dir': a base backup written as a data directory that recovers when started.</summary>
internal static class PhysicalRestoreCommand
{
    public static async Task<int> RunAsync(Invocation run, Operations.BulwarkContext context, string directory, string? snapshot, DateTimeOffset? toTime, string? toLsn,
        string? toName, bool toEnd, string? timeline, bool start, int? port, CancellationToken ct)
    {
        var targets = (toTime is null ? 0 : 1) + (toLsn is null ? 0 : 1) + (toName is null ? 0 : 1) + (toEnd ? 1 : 0);
        if (targets > 1)
            throw new BulwarkException(ErrorKind.Usage, "give at most one of --to-time, --to-lsn, --to-name and --to-end",
                "recovery stops at one target");
        if (port is not null && !start)
            throw new BulwarkException(ErrorKind.Usage, "--port goes with --start", "add --start, or leave out --port");
        var target = toTime is { } time ? RecoveryTarget.AtTime(time)
            : toLsn is { } lsn ? RecoveryTarget.AtLsn(Lsn.Parse(lsn))
            : toName is { } name ? RecoveryTarget.AtName(name)
            : RecoveryTarget.End;
        var request = new PhysicalRestoreRequest
        {
            Snapshot = snapshot,
            Directory = directory,
            Target = target,
            Timeline = timeline,
            Start = start,
            Port = port,
        };
        var result = await run.Output.WithProgressAsync("restoring", null,
            progress => new PhysicalRestoreOperation(context).RunAsync(request, progress, ct));
        if (run.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(result, PhysicalJsonContext.Default.PhysicalRestoreResult));
            return ExitCodes.Ok;
        }
        run.Output.Line($"wrote base backup {result.Snapshot} to {result.Directory} ({result.Files} files, {Format.Bytes(result.Bytes)}, each checked) in {Format.Duration(result.WriteDuration)}");
        run.Output.Line($"  recovery   from {result.StartLsn} on timeline {result.Timeline} to {result.Target}" +
                        (result.RecoveryTimeline == "latest" ? "" : $" along timeline {result.RecoveryTimeline}") + ", then promote");
        run.Output.Line($"  restore_command {result.RestoreCommand}");
        if (result.Server is not { } server)
        {
            run.Output.Line($"  start it with: pg_ctl -D {result.Directory} start   (as the user that owns it; the folder is mode 0700)");
            run.Output.Line("  archiving  as the copied configuration says: with its archive_command, once promoted, it archives its new timeline into the repository, which a later restore to the end follows");
            return ExitCodes.Ok;
        }
        run.Output.Line($"recovered in {Format.Duration(server.RecoveryDuration)}: last WAL replayed {server.ReachedLsn ?? "(none)"}, " +
                        (server.ReachedTime is { } reached ? $"last transaction {reached.ToUniversalTime():yyyy-MM-dd HH:mm:ss.fff}Z, " : "") +
                        $"now on timeline {server.Timeline}");
        run.Output.Line($"  server     running on {server.Host}:{server.Port} (socket in {server.SocketDirectory})");
        run.Output.Line($"  connect    {server.Connect}");
        run.Output.Line($"  stop       {server.Stop}");
        run.Output.Line("  archiving  off: a copy to look at archives nothing into the repository (archive_mode = off in its postgresql.auto.conf);" +
                        " for a server that takes over, restore without --start and start it yourself");
        return ExitCodes.Ok;
    }
}
