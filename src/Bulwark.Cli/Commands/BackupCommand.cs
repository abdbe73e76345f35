using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Backup;

namespace Bulwark.Cli.Commands;

public static class BackupCommand
{
    public static Command Create()
    {
        var source = new Option<string?>("--source", "-s")
        {
            Description = "Database to back up (postgres:// URL or key=value), overriding 'postgres.url'",
            HelpName = "URL",
        };
        var globals = new Option<bool>("--globals")
        {
            Description = "Also back up roles and tablespaces (pg_dumpall --globals-only; role passwords only as superuser)",
        };
        var tags = new Option<string[]>("--tag", "-t")
        {
            Description = "Tag the snapshot (repeatable)",
            HelpName = "TAG",
            AllowMultipleArgumentsPerToken = false,
        };
        var filesOnly = new Option<bool>("--files-only")
        {
            Description = "Store only the files and modules of the configuration, not the database",
        };
        var physical = new Option<bool>("--physical")
        {
            Description = "Take a base backup of the whole cluster (pg_basebackup, WAL included) for point-in-time recovery, instead of a dump of the database",
        };
        var jobs = new Option<int>("--jobs", "-j")
        {
            Description = "Tables read at once in one snapshot, each its own stream (restore --jobs then loads them in parallel too)",
            DefaultValueFactory = _ => 1,
        };
        var command = new Command("backup",
            "Back up the database into the repository at one consistent point in time, with the files and module versions of the configuration.\n" +
            "--physical takes a base backup of the cluster instead (the user needs REPLICATION); unchanged files cost nothing the next time.")
        {
            source, globals, tags, filesOnly, physical, jobs,
        };
        command.SetHandler(async (run, ct) =>
        {
            var request = new BackupRequest
            {
                Source = run.Get(source),
                Globals = run.Get(globals) ? true : null,
                Tags = run.Get(tags) ?? [],
                FilesOnly = run.Get(filesOnly),
                Physical = run.Get(physical),
                Jobs = run.Get(jobs),
            };
            var context = run.Context;
            BackupResult result;
            CopyAfterBackupFailedException? copyFailure = null;
            try
            {
                result = await run.Output.WithProgressAsync("backing up", null,
                    progress =>
                    {
                        var operation = new BackupOperation(context);
                        operation.Warning += message => run.Output.Note("warning: " + message);
                        return operation.RunAsync(request, progress, ct);
                    });
            }
            catch (CopyAfterBackupFailedException e)
            {
                // The snapshot is saved: show it, then fail with the copy's error (and its exit code).
                result = e.Backup;
                copyFailure = e;
            }
            var manifest = result.Snapshot.Manifest;
            var stats = manifest.Statistics!;
            if (run.Json)
            {
                run.Output.WriteJson(new
                {
                    snapshot = result.Snapshot.Id.ToString(),
                    shortId = result.Snapshot.ShortId,
                    time = manifest.Time,
                    kind = manifest.Kind,
                    startLsn = manifest.Physical?.StartLsn,
                    stopLsn = manifest.Physical?.StopLsn,
                    timeline = manifest.Physical?.Timeline,
                    durationSeconds = manifest.Duration.TotalSeconds,
                    source = result.Source,
                    repository = context.RepositoryDisplay,
                    size = manifest.TotalSize,
                    statistics = stats,
                    streams = manifest.Streams.Where(_ => manifest.Physical is null).Select(s => new { s.Name, s.Kind, s.Size, s.Sha256 }),
                    copy = result.Copy,
                    copyError = copyFailure?.Message,
                });
                return CopyOutcome(run, copyFailure);
            }
            run.Output.Line($"snapshot {result.Snapshot.ShortId} saved to {context.RepositoryDisplay}");
            run.Output.Line(manifest.Source.ServerVersion is null
                ? $"  source     {result.Source}"
                : $"  source     {result.Source} (PostgreSQL {manifest.Source.ServerVersion})");
            if (manifest.Physical is { } basebackup)
            {
                run.Output.Line($"  base backup {manifest.Streams.Count} files, {Format.Bytes(manifest.TotalSize)}, WAL {basebackup.StartLsn} .. {basebackup.StopLsn} on timeline {basebackup.Timeline}");
            }
            foreach (var stream in manifest.Streams.Where(_ => manifest.Physical is null))
                run.Output.Line($"  {stream.Name,-10} {Format.Bytes(stream.Size)}, sha256 {stream.Sha256}");
            run.Output.Line($"  new        {Format.Bytes(stats.NewBytes)} in {stats.NewChunks} chunks, stored as {Format.Bytes(stats.StoredBytes)}");
            run.Output.Line($"  reused     {Format.Bytes(stats.ReusedBytes)} in {stats.ReusedChunks} chunks");
            run.Output.Line($"  duration   {Format.Duration(manifest.Duration)}");
            if (manifest.Fingerprints is { Error: null } fingerprints)
                run.Output.Line($"  fingerprints {fingerprints.Tables.Count} tables, {fingerprints.Rows:N0} rows, {fingerprints.Sequences.Count} sequences");
            else if (manifest.Fingerprints?.Error is { } error)
                run.Output.Note($"warning: no fingerprints for this snapshot, so it cannot be drilled: {error}");
            if (result.Copy is not null)
                CopyCommand.Print(run.Output, result.Copy);
            return CopyOutcome(run, copyFailure);
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.StorageUnavailable, ExitCodes.ToolMissing,
            ExitCodes.WrongPassphrase, ExitCodes.Cancelled);
    }

    /// <summary>A failed 'copy-to' is not silent: its error on standard error, and its exit code.</summary>
    private static int CopyOutcome(Invocation run, CopyAfterBackupFailedException? failure)
    {
        if (failure is null)
            return ExitCodes.Ok;
        run.Output.Fail(failure.Message, failure.Advice);
        return ExitCodes.For(failure.Kind);
    }
}
