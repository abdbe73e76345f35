using Bulwark.Operations.Copy;
using Bulwark.Operations.Health;
using Bulwark.Operations.Wal;
using Bulwark.Versioning.Rulesets;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Verification;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// The shapes of the commands' --json documents. Named types rather than anonymous ones: the serializers are generated
/// at compile time (<see cref="CliJsonContext"/>), which the native build needs.
/// </summary>
internal static class JsonOutputs
{
    internal sealed record Failure(string Error, string Kind, string? Advice);

    internal sealed record CheckUnknown(string Status, int ExitCode, string Error, string? Advice);

    internal sealed record Check
    {
        public required string Status { get; init; }
        public required int ExitCode { get; init; }
        public required DateTimeOffset Time { get; init; }
        public required long DurationMs { get; init; }
        public string? Repository { get; init; }
        public required IEnumerable<CheckFinding> Findings { get; init; }
    }

    internal sealed record CheckFinding(string Check, string Status, string Summary, string? Advice, IReadOnlyList<HealthMetric> Metrics);

    internal sealed record List(IEnumerable<ListedSnapshot> Snapshots, IEnumerable<Unreadable> Unreadable, PitrWindow? Pitr);

    internal sealed record ListedSnapshot
    {
        public required string Id { get; init; }
        public required string ShortId { get; init; }
        public required DateTimeOffset Time { get; init; }
        public required string Kind { get; init; }
        public required string Host { get; init; }
        public string? Source { get; init; }
        public string? Database { get; init; }
        public string? Profile { get; init; }
        public required long Size { get; init; }
        public long? NewBytes { get; init; }
        public long? StoredBytes { get; init; }
        public required double DurationSeconds { get; init; }
        public required IReadOnlyList<string> Tags { get; init; }
        public Drill? LastDrill { get; init; }
    }

    internal sealed record Drill(DateTimeOffset Time, bool Passed, string? Summary);

    internal sealed record Unreadable(string Id, string ShortId, string? Object, string Error);

    internal sealed record Show
    {
        public required string Id { get; init; }
        public required string Kind { get; init; }
        public required DateTimeOffset Time { get; init; }
        public required DateTimeOffset EndTime { get; init; }
        public required double DurationSeconds { get; init; }
        public required string Host { get; init; }
        public string? User { get; init; }
        public required IReadOnlyList<string> Tags { get; init; }
        public required IReadOnlyDictionary<string, string> Tools { get; init; }
        public required SourceInfo Source { get; init; }
        public BackupStatistics? Statistics { get; init; }
        public IReadOnlyList<ModuleRecord>? Modules { get; init; }
        public IReadOnlyList<RulesetState>? Rulesets { get; init; }
        public required IEnumerable<ShownStream> Streams { get; init; }
        public DatabaseFingerprints? Fingerprints { get; init; }
        public ShownPhysical? Physical { get; init; }
        public ProofRecord? LastDrill { get; init; }
    }

    internal sealed record ShownPhysical(string StartLsn, string StopLsn, int Timeline, string StartWalFile, string? StopWalFile,
        string SystemIdentifier, int ServerVersionNumber, DateTimeOffset StartTime, DateTimeOffset StopTime, long WalSegmentSize,
        string BackupLabel, string WalIncluded, int Files);

    internal sealed record ShownStream(string Name, string Kind, long Size, string Sha256, int Chunks, IReadOnlyDictionary<string, string>? Attributes);

    internal sealed record Backup
    {
        public required string Snapshot { get; init; }
        public string? SourceName { get; init; }
        public required string ShortId { get; init; }
        public required DateTimeOffset Time { get; init; }
        public required string Kind { get; init; }
        public string? StartLsn { get; init; }
        public string? StopLsn { get; init; }
        public int? Timeline { get; init; }
        public required double DurationSeconds { get; init; }
        public required string Source { get; init; }
        public required string Repository { get; init; }
        public required long Size { get; init; }
        public BackupStatistics? Statistics { get; init; }
        public required IEnumerable<BackupStream> Streams { get; init; }
        public CopyResult? Copy { get; init; }
        public string? CopyError { get; init; }
    }

    internal sealed record BackupSources(IEnumerable<SourceBackup> Sources);

    internal sealed record SourceBackup(string Source, bool Ok, Backup? Backup, string? Error, string? ErrorKind);

    internal sealed record BackupStream(string Name, string Kind, long Size, string Sha256);

    internal sealed record TestRestore
    {
        public required bool Passed { get; init; }
        public required string Kind { get; init; }
        public required string Snapshot { get; init; }
        public required string ShortId { get; init; }
        public required DateTimeOffset SnapshotTime { get; init; }
        public required Scratch Scratch { get; init; }
        public required double RestoreSeconds { get; init; }
        public double? AnalyzeSeconds { get; init; }
        public required double RecoverySeconds { get; init; }
        public required double CompareSeconds { get; init; }
        public required double TotalSeconds { get; init; }
        public required long DumpBytes { get; init; }
        public required long DataBytes { get; init; }
        public required int Tables { get; init; }
        public required long Rows { get; init; }
        public required int Sequences { get; init; }
        public required int Objects { get; init; }
        public required long LargeObjects { get; init; }
        public required IEnumerable<Difference> Differences { get; init; }
        public required IReadOnlyList<string> Notes { get; init; }
        public required IReadOnlyList<string> ColumnOrderChanged { get; init; }
    }

    internal sealed record Scratch(string Server, string Database, bool Kept);

    internal sealed record Difference(string Object, string Problem);

    internal sealed record Verify(bool Ok, int SnapshotsChecked, int ChunksChecked, int StreamsChecked, long BytesRead, bool ReadData,
        IReadOnlyList<VerifyProblem> Problems);

    internal sealed record ModuleCheck(bool Ok, string? Snapshot, string? PreviousSnapshot, IEnumerable<Module> Modules, string? Source = null);

    /// <summary>'modules --json' over several sources: one document per source.</summary>
    internal sealed record ModuleChecks(bool Ok, IEnumerable<ModuleCheck> Sources);

    internal sealed record Module(string Path, string Kind, string? Version, string? PreviousVersion, string? Sha256, string? PreviousSha256, bool Problem);

    internal sealed record Unlock(IReadOnlyList<LockInfo> Removed, IReadOnlyList<LockInfo> Remaining);

    internal sealed record Key(string Id, bool Current, DateTimeOffset Created, string? Host, string? User, string Kdf);

    internal sealed record KeyAdded(string Id, DateTimeOffset Created);

    internal sealed record KeyRemoved(string Removed);

    internal sealed record Init(string Repository, string Id, bool Encrypted, string? ConfigWritten);

    internal sealed record RulesetVerify(bool Ok, IReadOnlyList<RulesetFileCheck> Checks);

    internal sealed record RulesetDiff(string From, string? To, bool Same, string Diff);

    internal sealed record Schedule(string TimeZone, bool CatchUp, IEnumerable<ScheduledJob> Jobs, IReadOnlyList<string> Disabled);

    internal sealed record ScheduledJob(string Job, string Schedule, IReadOnlyList<DateTimeOffset> Next, DateTimeOffset? LastStart,
        string? LastOutcome, string? LastSummary);

    internal sealed record JobRun
    {
        public required string Job { get; init; }
        public required string Outcome { get; init; }
        public required string Trigger { get; init; }
        public required DateTimeOffset Start { get; init; }
        public required DateTimeOffset End { get; init; }
        public string? Summary { get; init; }
        public string? Error { get; init; }
        public string? Advice { get; init; }
        public string? Health { get; init; }
    }

    internal sealed record ScheduleInstall(string Target, bool Changed, bool DryRun, IReadOnlyDictionary<string, string> Content,
        IReadOnlyList<string> Written, IReadOnlyList<string> Removed, IReadOnlyList<string> Warnings, IReadOnlyList<string> NextSteps);

    internal sealed record Cleanup
    {
        public required bool DryRun { get; init; }
        public required string Repository { get; init; }
        public required string Policy { get; init; }
        public required string TimeZone { get; init; }
        public required IEnumerable<CleanupSnapshot> Snapshots { get; init; }
        public required int Kept { get; init; }
        public WalCleanup? Wal { get; init; }
        public required int Removed { get; init; }
        public required CleanupChunks Chunks { get; init; }
        public required long BytesFreed { get; init; }
        public required IReadOnlyList<string> RunningOperations { get; init; }
        public required IReadOnlyList<string> StaleLocksIgnored { get; init; }
        public required int TemporaryFilesRemoved { get; init; }
        public required IEnumerable<CleanupUnreadable> Unreadable { get; init; }
        public string? SweepSkipped { get; init; }
    }

    internal sealed record CleanupSnapshot(string Id, string ShortId, DateTimeOffset Time, string Database, IReadOnlyList<string> Tags,
        bool Keep, IReadOnlyList<string> Reasons);

    internal sealed record CleanupChunks(int Total, int Referenced, int Deleted, int KeptYoung, int KeptForRunningOperations,
        int KeptForRemovedSnapshots);

    internal sealed record CleanupUnreadable(string Id, string ShortId, string Error);

    internal sealed record DaemonHealth(string Status, DateTimeOffset? CheckedAt, string? Repository, IEnumerable<DaemonFinding>? Findings,
        IReadOnlyList<DaemonJob> Jobs, DaemonInfo Daemon);

    internal sealed record DaemonFinding(string Check, string Status, string Summary, string? Advice);

    internal sealed record DaemonJob
    {
        public required string Job { get; init; }
        public required string Schedule { get; init; }
        public DateTimeOffset? Next { get; init; }
        public DateTimeOffset? RunningSince { get; init; }
        public DateTimeOffset? LastStart { get; init; }
        public DateTimeOffset? LastEnd { get; init; }
        public string? LastOutcome { get; init; }
        public string? LastSummary { get; init; }
        public DateTimeOffset? LastSuccess { get; init; }
        public int ConsecutiveFailures { get; init; }
    }

    internal sealed record DaemonInfo(DateTimeOffset? Started, string Version, int Pid);
}
