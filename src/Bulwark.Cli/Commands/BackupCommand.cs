using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;

namespace Bulwark.Cli.Commands;

public static class BackupCommand
{
    public static Command Create()
    {
        var source = new Option<string?>("--source", "-s")
        {
            Description = "A source of 'sources:' to back up (default: every source), or a database (postgres:// URL or key=value) overriding 'postgres.url'",
            HelpName = "NAME|URL",
        };
        var parallel = new Option<int>("--parallel")
        {
            Description = "With several sources: back up this many at once (default 1: one after the other)",
            HelpName = "N",
            DefaultValueFactory = _ => 1,
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
            source, parallel, globals, tags, filesOnly, physical, jobs,
        };
        command.SetHandler(async (run, ct) =>
        {
            var selected = run.Get(source);
            var connection = selected is not null && (selected.Contains("://", StringComparison.Ordinal) || selected.Contains('=', StringComparison.Ordinal));
            if (!connection && (run.Context.Settings.Sources.Count > 0 || selected is not null))
                return await BackupSourcesAsync(run, run.Context.SelectSources(selected), run.Get(parallel), new BackupRequest
                {
                    Globals = run.Get(globals) ? true : null,
                    Tags = run.Get(tags) ?? [],
                    FilesOnly = run.Get(filesOnly),
                    Physical = run.Get(physical),
                    Jobs = run.Get(jobs),
                }, ct);
            if (connection && run.Context.Settings.Sources.Count > 0)
                throw new BulwarkException(ErrorKind.Usage, "with 'sources:' in the configuration, --source takes a source's name",
                    $"the sources are: {string.Join(", ", run.Context.Sources.Select(s => s.Name))}; put another database in 'sources:'");
            var request = new BackupRequest
            {
                Source = selected,
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
            if (run.Json)
            {
                run.Output.WriteJson(Json(context, result, copyFailure));
                return CopyOutcome(run, copyFailure);
            }
            Print(run, context, result);
            return CopyOutcome(run, copyFailure);
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.StorageUnavailable, ExitCodes.ToolMissing,
            ExitCodes.WrongPassphrase, ExitCodes.Cancelled);
    }

    /// <summary>Backs up the chosen sources; the exit code is the first failure's, else OK.</summary>
    private static async Task<int> BackupSourcesAsync(Invocation run, IReadOnlyList<ConfiguredSource> sources, int parallel,
        BackupRequest request, CancellationToken ct)
    {
        var context = run.Context;
        var backup = new SourcesBackup(context);
        backup.Warning += (name, message) => run.Output.Note($"warning: {name}: {message}");
        var outcomes = await run.Output.WithProgressAsync(sources.Count == 1 ? $"backing up {sources[0].Name}" : "backing up", null,
            progress => backup.RunAsync(sources, request, parallel, progress, ct));
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.BackupSources(outcomes.Select(o => new JsonOutputs.SourceBackup(
                o.Source,
                o.Error is null,
                o.Result is null ? null : Json(context, o.Result, o.Error as CopyAfterBackupFailedException),
                o.Error?.Message,
                o.Error?.Kind.ToString()))));
        }
        else
        {
            foreach (var outcome in outcomes)
            {
                if (outcome.Result is not null)
                    Print(run, context, outcome.Result, outcome.Source);
                if (outcome.Error is { } error)
                    run.Output.Fail($"{outcome.Source}: {error.Message}", error.Advice);
            }
            if (outcomes.Count > 1)
                run.Output.Line($"{outcomes.Count(o => o.Error is null)} of {outcomes.Count} sources backed up");
        }
        return outcomes.FirstOrDefault(o => o.Error is not null)?.Error is { } first ? ExitCodes.For(first.Kind) : ExitCodes.Ok;
    }

    private static JsonOutputs.Backup Json(BulwarkContext context, BackupResult result, CopyAfterBackupFailedException? copyFailure)
    {
        var manifest = result.Snapshot.Manifest;
        return new JsonOutputs.Backup
        {
            Snapshot = result.Snapshot.Id.ToString(),
            SourceName = manifest.Source.Name,
            ShortId = result.Snapshot.ShortId,
            Time = manifest.Time,
            Kind = manifest.Kind,
            StartLsn = manifest.Physical?.StartLsn,
            StopLsn = manifest.Physical?.StopLsn,
            Timeline = manifest.Physical?.Timeline,
            DurationSeconds = manifest.Duration.TotalSeconds,
            Source = result.Source,
            Repository = context.RepositoryDisplay,
            Size = manifest.TotalSize,
            Statistics = manifest.Statistics,
            Streams = manifest.Streams.Where(_ => manifest.Physical is null).Select(s => new JsonOutputs.BackupStream(s.Name, s.Kind, s.Size, s.Sha256)),
            Copy = result.Copy,
            CopyError = copyFailure?.Message,
        };
    }

    private static void Print(Invocation run, BulwarkContext context, BackupResult result, string? sourceName = null)
    {
        var manifest = result.Snapshot.Manifest;
        var stats = manifest.Statistics!;
        run.Output.Line(sourceName is null
            ? $"snapshot {result.Snapshot.ShortId} saved to {context.RepositoryDisplay}"
            : $"snapshot {result.Snapshot.ShortId} of {sourceName} saved to {context.RepositoryDisplay}");
        run.Output.Line(manifest.Source.ServerVersion is null
            ? $"  source     {result.Source}"
            : $"  source     {result.Source} (PostgreSQL {manifest.Source.ServerVersion})");
        if (manifest.Physical is { } basebackup)
            run.Output.Line($"  base backup {manifest.Streams.Count} files, {Format.Bytes(manifest.TotalSize)}, WAL {basebackup.StartLsn} .. {basebackup.StopLsn} on timeline {basebackup.Timeline}");
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
