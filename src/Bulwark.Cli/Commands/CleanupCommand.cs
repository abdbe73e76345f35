using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Retention;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class CleanupCommand
{
    public static Command Create()
    {
        var dryRun = new Option<bool>("--dry-run")
        {
            Description = "Show what would be removed and which rule keeps each snapshot; change nothing",
        };
        var source = SourceOption.Create("Apply only this source's retention (unused chunks are still collected over the whole repository)");
        var command = new Command("cleanup",
            "Apply the retention policy ('retention:' in bulwark.yml): remove the snapshots it forgets, then every chunk " +
            "nothing references. Safe beside running backups; an interrupted cleanup is finished by the next one. While a " +
            "manifest cannot be read, no chunk is deleted (the output says so).")
        {
            dryRun, source,
        };
        command.SetHandler(async (run, ct) =>
        {
            var result = await run.Output.WithProgressAsync(run.Get(dryRun) ? "planning" : "cleaning up", null,
                progress => new CleanupOperation(SourceOption.Context(run, source)).RunAsync(run.Get(dryRun), progress, ct));
            Render(run, result);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.StorageUnavailable, ExitCodes.Refused, ExitCodes.Integrity,
            ExitCodes.Cancelled);
    }

    private static void Render(Invocation run, CleanupResult result)
    {
        var gc = result.Collection;
        var zone = result.Policy.TimeZone;
        if (gc.SweepSkipped is { } skipped)
            run.Output.Note("warning: " + skipped);
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.Cleanup
            {
                DryRun = gc.DryRun,
                Repository = result.Repository,
                Policy = result.Policy.Describe(),
                TimeZone = zone.Id,
                Snapshots = result.Plan.Decisions.Select(d => new JsonOutputs.CleanupSnapshot(d.Snapshot.Id.ToString(), d.Snapshot.ShortId,
                    d.Snapshot.Manifest.Time, d.Group, d.Snapshot.Manifest.Tags, d.Keep, d.Reasons)),
                Kept = result.Plan.Kept.Count(),
                Wal = result.Wal,
                Removed = gc.SnapshotsRemoved,
                Chunks = new(gc.ChunksTotal, gc.ChunksReferenced, gc.ChunksDeleted, gc.ChunksKeptYoung,
                    gc.ChunksKeptForRunningOperations, gc.ChunksKeptForForgottenSnapshots),
                BytesFreed = result.BytesFreed,
                RunningOperations = gc.RunningOperations,
                StaleLocksIgnored = gc.StaleLocksIgnored,
                TemporaryFilesRemoved = gc.TemporaryFilesRemoved,
                Unreadable = gc.Unreadable.Select(u => new JsonOutputs.CleanupUnreadable(u.Id.ToString(), u.ShortId, u.Error)),
                SweepSkipped = gc.SweepSkipped,
            });
            return;
        }
        var table = run.Output.Table("ID", $"Time ({zone.Id})", "Database", "Action", "Why");
        foreach (var d in result.Plan.Decisions)
        {
            var local = TimeZoneInfo.ConvertTime(d.Snapshot.Manifest.Time, zone);
            table.AddRow(d.Snapshot.ShortId, local.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(d.Group), d.Keep ? "keep" : gc.DryRun ? "would remove" : "removed",
                Markup.Escape(string.Join(", ", d.Reasons)));
        }
        if (result.Plan.Decisions.Count > 0)
            run.Output.Write(table);
        var verb = gc.DryRun ? "would free" : "freed";
        run.Output.Line($"policy: {result.Policy.Describe()}");
        run.Output.Line($"snapshots: {result.Plan.Kept.Count()} kept, {gc.SnapshotsRemoved} {(gc.DryRun ? "to remove" : "removed")}" +
                        (gc.Unreadable.Count > 0 ? $", {gc.Unreadable.Count} unreadable (never removed): {string.Join(", ", gc.Unreadable.Select(u => u.ShortId))}" : ""));
        if (gc.SweepSkipped is not null)
            run.Output.Line("chunks: none deleted (garbage collection skipped, see the warning)");
        else
            run.Output.Line($"chunks: {gc.ChunksTotal} in the repository, {gc.ChunksReferenced} referenced, {gc.ChunksDeleted} {(gc.DryRun ? "to delete" : "deleted")}" +
                            (gc.ChunksKeptYoung > 0 ? $", {gc.ChunksKeptYoung} kept (younger than the grace period)" : "") +
                            (gc.ChunksKeptForRunningOperations > 0 ? $", {gc.ChunksKeptForRunningOperations} kept (may belong to a running backup)" : "") +
                            (gc.ChunksKeptForForgottenSnapshots > 0 ? $", {gc.ChunksKeptForForgottenSnapshots} kept (removed snapshots a running operation may still read; a later cleanup deletes them)" : ""));
        if (result.Wal is { } wal)
            run.Output.Line(wal.Skipped is not null ? $"wal: none removed ({wal.Skipped})"
                : $"wal: {wal.Files} file(s) no kept base backup needs {(gc.DryRun ? "to remove" : "removed")} ({Format.Bytes(wal.StoredBytes)})");
        run.Output.Line($"{verb}: {Format.Bytes(result.BytesFreed)}" +
                        (result.Wal is { Skipped: null, Files: > 0 } ? $" ({Format.Bytes(gc.BytesFreed)} of chunks, {Format.Bytes(result.Wal.StoredBytes)} of WAL)" : ""));
        foreach (var operation in gc.RunningOperations)
            run.Output.Line($"running: {operation}");
        foreach (var lockInfo in gc.StaleLocksIgnored)
            run.Output.Line($"ignored stale lock: {lockInfo} ('bulwark unlock' removes it)");
        if (gc.TemporaryFilesRemoved > 0)
            run.Output.Line($"removed {gc.TemporaryFilesRemoved} temporary file(s) left by crashed writers");
    }
}
