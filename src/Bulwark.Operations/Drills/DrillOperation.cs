using System.Diagnostics;
using System.Globalization;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Sources.Supabase.Storage;
using Npgsql;

namespace Bulwark.Operations.Drills;

/// <summary>
/// A restore drill (bulwark test-restore): restores a snapshot into a new scratch database, reads it back the way the
/// backup read the source (pg_dump through the same archive parser and fingerprints), compares table by table and
/// object by object, drops the scratch database (unless asked to keep it), and records the result in the repository
/// as an immutable proof event. Any difference is an integrity failure. Tables whose columns only changed order (as a
/// dump and restore does to some inheritance children) are compared by column name and named in a note.
/// </summary>
public sealed partial class DrillOperation
{
    private readonly BulwarkContext _context;

    public DrillOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>Runs after the restore and before the read-back (tests damage the scratch database here).</summary>
    internal Func<PgConnectionSettings, CancellationToken, Task>? AfterRestore { get; init; }

    public Task<DrillReport> RunAsync(DrillRequest request, IProgress<long>? progress, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("test-restore", async scope =>
        {
            var jobs = request.Jobs ?? _context.Settings.Drill.Jobs;
            if (jobs is < 1 or > 64)
                throw new BulwarkException(ErrorKind.Usage, $"--jobs {jobs} is out of range", "use 1 to 64");
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using var repositoryLock = await repository.LockAsync(LockMode.Shared, "test-restore", cancellationToken).ConfigureAwait(false);
            var snapshot = await _context.ResolveSnapshotAsync(repository, request.Snapshot, cancellationToken).ConfigureAwait(false);
            scope.Snapshot = snapshot.ShortId;
            var report = await DrillAsync(repository, snapshot, request, jobs, scope, progress, cancellationToken).ConfigureAwait(false);
            if (!report.Passed)
                throw new DrillFailedException(report);
            return report;
        });

    private async Task<DrillReport> DrillAsync(BackupRepository repository, Snapshot snapshot, DrillRequest request,
        int jobs, OperationScope scope, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var manifest = snapshot.Manifest;
        var dump = manifest.FindStream(PostgresBackup.DumpStreamName)
                   ?? throw new BulwarkException(ErrorKind.Usage, $"snapshot {snapshot.ShortId} holds no database dump",
                       "choose a snapshot of a database");
        var expected = manifest.Fingerprints
                       ?? throw new BulwarkException(ErrorKind.Usage,
                           $"snapshot {snapshot.ShortId} has no fingerprints (it was taken before Bulwark computed them, or with 'backup.fingerprints: false'), so a drill cannot compare it",
                           "take a new backup and drill that one; this snapshot can still be restored with 'bulwark restore'");
        if (expected.Error is not null)
            throw new BulwarkException(ErrorKind.Integrity,
                $"snapshot {snapshot.ShortId} has no usable fingerprints: {expected.Error}",
                "take a new backup and drill that one; report the message if it happens again");
        if (expected.Algorithm != DatabaseFingerprints.CurrentAlgorithm)
            throw new BulwarkException(ErrorKind.Repository,
                $"snapshot {snapshot.ShortId} has fingerprints of kind '{expected.Algorithm}', which this Bulwark does not compute",
                "upgrade Bulwark to drill it");

        var supabase = await SnapshotPlatform.ReadAsync(repository, snapshot, cancellationToken).ConfigureAwait(false);
        await using var throwaway = supabase is null ? null : await SupabaseScratchAsync(request, cancellationToken).ConfigureAwait(false);
        var server = throwaway?.Settings("postgres") ?? ScratchServer(request);
        var name = $"bulwark_drill_{snapshot.ShortId}_{_context.Time.GetUtcNow():yyyyMMddHHmmss}_{Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(2))}";
        var scratch = server.WithDatabase(name);
        scope.Details["scratch"] = scratch.Display;

        IReadOnlyList<ArchiveTocEntry> entries = [];
        var supabaseNotes = new List<string>();
        var restore = new PostgresRestore(new PostgresRestoreOptions
        {
            Create = true,
            // A Supabase snapshot restores in one transaction, as into a project, after the platform's stand-ins.
            Jobs = supabase is null ? jobs : 1,
            Supabase = supabase?.Platform,
            BeforeRestore = supabase is not { Platform: var platform }
                ? null
                : async (target, token) => supabaseNotes.AddRange(
                    await SupabaseStandIns.CreateAsync(target, entries, platform, token).ConfigureAwait(false)),
            NoOwner = request.NoOwner,
            NoPrivileges = request.NoPrivileges,
            BinDirectory = _context.PostgresBinDirectory,
            SpoolDirectory = Path.Combine(_context.Config.StateDirectory, "spool"),
        });
        PostgresRestoreResult restored;
        IReadOnlyList<SchemaObject> expectedObjects;
        IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>> backupColumns;
        try
        {
            // The dump's own table of contents names every object the restore must bring back.
            (_, entries) = await ArchiveReading.ReadTocAsync(repository, dump, cancellationToken).ConfigureAwait(false);
            expectedObjects = SchemaObject.FromEntries(entries);
            backupColumns = CopyColumns.FromEntries(entries);
            restored = await restore.RunAsync(repository, snapshot, scratch, progress, cancellationToken).ConfigureAwait(false);
            if (supabase is not null)
                expectedObjects = SupabaseExpectedObjects(entries, restored);
        }
        catch (BulwarkException e) when (e.Message.Contains("permission denied to create database", StringComparison.Ordinal))
        {
            throw new BulwarkException(e.Kind, e.Message,
                "a drill creates a scratch database: give the user CREATEDB, or point --scratch (or 'drill.scratch') at a server where it may", e);
        }
        catch (BulwarkException e) when (e.Kind is ErrorKind.Failed or ErrorKind.Integrity)
        {
            // The snapshot does not restore: that is what a drill is for, so it is recorded.
            await RecordAsync(repository, snapshot, false, $"restore failed: {e.Message}", new Dictionary<string, string>
            {
                ["scratch"] = scratch.Display,
            }, cancellationToken).ConfigureAwait(false);
            throw;
        }

        var kept = false;
        try
        {
            // A real restore gathers statistics next, before anything else runs: that time belongs to the recovery time.
            var (analyzeDuration, analyzeProblem) = await PostgresRestore.AnalyzeAsync(scratch, [], [], cancellationToken).ConfigureAwait(false);
            if (AfterRestore is not null)
                await AfterRestore(scratch, cancellationToken).ConfigureAwait(false);
            var comparing = Stopwatch.GetTimestamp();
            var (actual, dumpVersion) = await DatabaseReadBack.ReadAsync(scratch, expected.TextSettings,
                _context.PostgresBinDirectory, backupColumns, cancellationToken).ConfigureAwait(false);
            var notes = new List<string>();
            if (supabase is not null)
            {
                actual = SupabaseActual(actual, entries, expectedObjects, expected, supabase.Value.Platform);
                notes.Add(SupabaseScope);
                notes.AddRange(supabaseNotes);
                notes.AddRange(restored.Supabase!.Skipped.Where(s => s.Why.StartsWith("the target refused", StringComparison.Ordinal))
                    .Select(s => $"not restored: {s.What}: {s.Why}"));
            }
            var sameDumper = manifest.Tools.TryGetValue("pg_dump", out var backupDumper) &&
                             PgVersion.Parse(backupDumper).Major == dumpVersion.Major;
            if (!sameDumper)
                notes.Add($"definitions not compared: the backup was read by pg_dump {backupDumper ?? "(unknown)"}, the drill by pg_dump {dumpVersion}; objects and data are compared");
            if (request.NoOwner)
                notes.Add("owners not compared (--no-owner)");
            if (request.NoPrivileges)
                notes.Add("privileges not compared (--no-acl)");
            var comparison = FingerprintComparison.Compare(expected, expectedObjects, actual,
                new ComparisonOptions(Definitions: sameDumper, Owners: !request.NoOwner, Privileges: !request.NoPrivileges));
            var differences = comparison.Differences;

            // Supabase Storage: every storage.objects row has its file in the snapshot, with its size.
            if (StorageStreams.Of(manifest) is { Count: > 0 } storageFiles)
            {
                var storage = await StorageRowCheck.CheckAsync(scratch, storageFiles, cancellationToken).ConfigureAwait(false);
                differences = [.. differences, .. storage.Differences];
                notes.Add(storage.Summary);
            }

            if (comparison.ColumnOrderChanged.Count > 0)
                notes.Add(ColumnOrderNote(comparison.ColumnOrderChanged));
            var compareDuration = Stopwatch.GetElapsedTime(comparing);
            if (analyzeProblem is not null)
                notes.Add(analyzeProblem);
            kept = request.Keep;
            var report = new DrillReport
            {
                Snapshot = snapshot.ShortId,
                SnapshotId = snapshot.Id.ToString(),
                SnapshotTime = manifest.Time,
                Passed = differences.Count == 0,
                ScratchDatabase = name,
                ScratchServer = server.Display,
                Kept = kept,
                RestoreDuration = restored.Duration,
                AnalyzeDuration = analyzeDuration,
                CompareDuration = compareDuration,
                TotalDuration = Stopwatch.GetElapsedTime(started),
                DumpBytes = dump.Size,
                DataBytes = actual.Fingerprints.Tables.Sum(t => t.Bytes),
                Tables = expected.Tables.Count,
                Rows = expected.Rows,
                Sequences = expected.Sequences.Count,
                Objects = expectedObjects.Count,
                LargeObjects = expected.LargeObjects?.Count ?? 0,
                Differences = differences,
                Notes = notes,
                ColumnOrderChanged = comparison.ColumnOrderChanged,
            };
            scope.Bytes = dump.Size;
            scope.Details["passed"] = report.Passed ? "true" : "false";
            scope.Details["restoreSeconds"] = Seconds(report.RestoreDuration);
            if (analyzeDuration is { } analyzed)
                scope.Details["analyzeSeconds"] = Seconds(analyzed);
            scope.Details["compareSeconds"] = Seconds(report.CompareDuration);
            scope.Details["differences"] = differences.Count.ToString(CultureInfo.InvariantCulture);
            var details = new Dictionary<string, string>
            {
                ["scratch"] = scratch.Display,
                ["restoreSeconds"] = Seconds(report.RestoreDuration),
                ["compareSeconds"] = Seconds(report.CompareDuration),
                ["dumpBytes"] = report.DumpBytes.ToString(CultureInfo.InvariantCulture),
                ["dataBytes"] = report.DataBytes.ToString(CultureInfo.InvariantCulture),
                ["tables"] = report.Tables.ToString(CultureInfo.InvariantCulture),
                ["rows"] = report.Rows.ToString(CultureInfo.InvariantCulture),
                ["objects"] = report.Objects.ToString(CultureInfo.InvariantCulture),
                ["differences"] = differences.Count.ToString(CultureInfo.InvariantCulture),
            };
            if (analyzeDuration is { } seconds)
                details["analyzeSeconds"] = Seconds(seconds);
            if (comparison.ColumnOrderChanged.Count > 0)
                details["columnOrderChanged"] = Names(comparison.ColumnOrderChanged, 100);
            await RecordAsync(repository, snapshot, report.Passed,
                report.Passed
                    ? $"{report.Tables} tables, {report.Rows} rows, {report.Sequences} sequences and {report.Objects} objects identical" +
                      (report.ColumnOrderChanged.Count > 0 ? $" (column order differs in {report.ColumnOrderChanged.Count} table{(report.ColumnOrderChanged.Count == 1 ? "" : "s")}, compared by name)" : "")
                    : string.Join("; ", differences.Take(3)),
                details, cancellationToken).ConfigureAwait(false);
            return report;
        }
        finally
        {
            if (!kept)
                await DropAsync(scratch).ConfigureAwait(false);
        }
    }

    /// <summary>Says which tables changed column order, and why that is not a difference.</summary>
    private static string ColumnOrderNote(IReadOnlyList<string> tables) =>
        $"column order differs from the backup in {tables.Count} table{(tables.Count == 1 ? "" : "s")} ({Names(tables, 10)}): " +
        "the same columns, compared by name; a restore puts a child table's inherited columns in its parent's order, as plain pg_restore does";

    private static string Names(IReadOnlyList<string> names, int shown) =>
        string.Join(", ", names.Take(shown)) + (names.Count > shown ? $" and {names.Count - shown} more" : "");

    private PgConnectionSettings ScratchServer(DrillRequest request)
    {
        var url = request.Scratch ?? _context.Settings.Drill.Scratch;
        return string.IsNullOrWhiteSpace(url) ? _context.SourceSettings() : _context.ConnectionSettings(url);
    }

    private Task RecordAsync(BackupRepository repository, Snapshot snapshot, bool passed, string summary,
        IReadOnlyDictionary<string, string> details, CancellationToken cancellationToken) =>
        repository.AppendEventAsync(ProofRecord.EventKind, new ProofRecord
        {
            Snapshot = snapshot.Id.ToString(),
            Kind = ProofRecord.Drill,
            Passed = passed,
            Time = _context.Time.GetUtcNow(),
            Summary = summary,
            Details = details,
        }, cancellationToken);

    /// <summary>Drops the scratch database, whatever happened before (with its own time limit, not the caller's token).</summary>
    private static async Task DropAsync(PgConnectionSettings scratch)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await using var connection = await PostgresRestore.OpenMaintenanceAsync(scratch, timeout.Token).ConfigureAwait(false);
            await using var drop = new NpgsqlCommand(
                $"DROP DATABASE IF EXISTS {PostgresRestore.QuoteIdentifier(scratch.Database)} WITH (FORCE)", connection);
            await drop.ExecuteNonQueryAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or BulwarkException or OperationCanceledException)
        {
            // Reported by the caller's outcome; a left-over scratch database is named bulwark_drill_*.
        }
    }

    private static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
}
