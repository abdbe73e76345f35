using Bulwark.Operations.Catalog;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Modules;
using Bulwark.Operations.Rulesets;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Verification;
using Bulwark.Storage;
using Bulwark.Versioning.Modules;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Health;

/// <summary>
/// 'bulwark check': is the backup healthy? Each check gives a finding with a monitoring status; a check that cannot
/// run gives UNKNOWN rather than stopping the others. Reads only: takes no lock and writes nothing to the repository
/// (the snapshot summaries it reads are cached in the state folder, so a repository with many snapshots stays fast).
/// </summary>
public sealed class HealthCheckOperation
{
    /// <summary>Operations whose failures since their last success are reported (the ones schedules run).</summary>
    public static IReadOnlyList<string> WatchedOperations { get; } = ["backup", "cleanup", "verify", "test-restore", "copy"];

    /// <summary>A median needs at least this many earlier backups.</summary>
    public const int MinimumSizeHistory = 3;

    private readonly BulwarkContext _context;

    public HealthCheckOperation(BulwarkContext context)
    {
        _context = context;
    }

    public async Task<HealthReport> RunAsync(HealthCheckRequest? request, CancellationToken cancellationToken)
    {
        request ??= new HealthCheckRequest();
        var started = _context.Time.GetTimestamp();
        var now = _context.Time.GetUtcNow();
        var findings = new List<HealthFinding>();
        string? repositoryDisplay = null;
        string? repositoryId = null;
        string? localRepository = null;
        try
        {
            repositoryDisplay = _context.RepositoryDisplay;
            if (BackendRegistry.SchemeOf(_context.RepositoryLocation) is null)
                localRepository = _context.RepositoryLocation;
        }
        catch (BulwarkException e)
        {
            findings.Add(new HealthFinding { Check = "repository", Status = HealthStatus.Unknown, Summary = e.Message, Advice = e.Advice });
        }

        if (repositoryDisplay is not null)
        {
            BackupRepository? repository = null;
            try
            {
                repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
            {
                findings.Add(new HealthFinding
                {
                    Check = "repository",
                    Status = e.Kind is ErrorKind.Configuration or ErrorKind.Usage ? HealthStatus.Unknown : HealthStatus.Critical,
                    Summary = $"cannot open the repository: {e.Message}",
                    Advice = e.Advice,
                });
            }
            if (repository is not null)
            {
                repositoryId = repository.Config.Id;
                await using (repository.ConfigureAwait(false))
                    findings.AddRange(await RepositoryChecksAsync(repository, request, now, cancellationToken).ConfigureAwait(false));
            }
        }

        findings.Add(Guard("operations", () => Operations(repositoryDisplay, repositoryId, now)));
        findings.Add(Guard("disk", () => Disk(localRepository)));
        if (PermissionCheck.Run(_context, localRepository) is { } permissions)
            findings.Add(permissions);
        return new HealthReport
        {
            Time = now,
            Duration = _context.Time.GetElapsedTime(started),
            Repository = repositoryDisplay,
            Findings = findings,
        };
    }

    private async Task<List<HealthFinding>> RepositoryChecksAsync(BackupRepository repository, HealthCheckRequest request,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var findings = new List<HealthFinding>();
        var catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
        IReadOnlyList<SnapshotSummary>? summaries = null;
        try
        {
            summaries = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            findings.Add(Failed("backup-age", e));
        }
        if (summaries is not null)
        {
            findings.Add(Guard("backup-age", () => BackupAge(summaries, now)));
            if (!request.Quick)
            {
                findings.Add(await GuardAsync("integrity", () => IntegrityAsync(repository, catalog, summaries, catalog.Damaged,
                    request.ReadDataSubset ?? _context.Settings.Check.ReadDataSubset, cancellationToken)).ConfigureAwait(false));
            }
            findings.Add(Guard("size", () => Size(summaries)));
        }
        findings.Add(await GuardAsync("locks", () => LocksAsync(repository, cancellationToken)).ConfigureAwait(false));
        var drill = await GuardOptionalAsync("drill", () => DrillAsync(catalog, now, cancellationToken)).ConfigureAwait(false);
        if (drill is not null)
            findings.Add(drill);
        var rulesets = await GuardOptionalAsync("rulesets", () => RulesetsAsync(repository, cancellationToken)).ConfigureAwait(false);
        if (rulesets is not null)
            findings.Add(rulesets);
        if (summaries is not null && _context.Settings.Modules.Paths.Count > 0)
            findings.Add(await GuardAsync("modules", () => ModulesAsync(repository, summaries, cancellationToken)).ConfigureAwait(false));
        return findings;
    }

    // ---- backup age ----

    private HealthFinding BackupAge(IReadOnlyList<SnapshotSummary> summaries, DateTimeOffset now)
    {
        var settings = _context.Settings.Check;
        var warning = settings.BackupAgeWarningValue;
        var critical = settings.BackupAgeCriticalValue;
        if (summaries.Count == 0)
            return new HealthFinding
            {
                Check = "backup-age",
                Status = HealthStatus.Critical,
                Summary = "the repository holds no backup yet",
                Advice = "run 'bulwark backup', and schedule it ('bulwark daemon' or 'bulwark schedule install')",
                Metrics = [new HealthMetric("snapshots", 0, Min: 0)],
            };
        var newest = summaries.GroupBy(s => s.Group, StringComparer.Ordinal)
            .Select(g => g.MaxBy(s => s.Time)!)
            .Select(s => (Snapshot: s, Age: now - s.Time))
            .OrderByDescending(x => x.Age)
            .ToList();
        HealthStatus StatusOf(TimeSpan age) =>
            critical is { } c && age > c ? HealthStatus.Critical
            : warning is { } w && age > w ? HealthStatus.Warning
            : HealthStatus.Ok;
        var status = HealthStatuses.Worst(newest.Select(x => StatusOf(x.Age)));
        var oldest = newest[0];
        string summary;
        if (status == HealthStatus.Ok)
        {
            summary = string.Join(", ", newest.OrderBy(x => x.Age).Select(x => $"last backup {HealthText.Age(x.Age)} ago ({x.Snapshot.Group})"));
        }
        else
        {
            summary = string.Join("; ", newest.Where(x => StatusOf(x.Age) != HealthStatus.Ok).Select(x =>
            {
                var limit = StatusOf(x.Age) == HealthStatus.Critical ? critical : warning;
                return $"the last backup of {x.Snapshot.Group} is {HealthText.Age(x.Age)} old ({x.Snapshot.Time:yyyy-MM-dd HH:mm}Z; {StatusOf(x.Age).Label().ToLowerInvariant()} above {HealthText.Age(limit!.Value)})";
            }));
        }
        return new HealthFinding
        {
            Check = "backup-age",
            Status = status,
            Summary = summary,
            Advice = status == HealthStatus.Ok ? null
                : "check that scheduled backups run and succeed: 'bulwark log --errors', 'bulwark schedule show'; a database no longer backed up leaves with 'bulwark cleanup'",
            Metrics =
            [
                new HealthMetric("backup_age", Math.Round(oldest.Age.TotalSeconds), "s", warning?.TotalSeconds, critical?.TotalSeconds, 0),
                new HealthMetric("snapshots", summaries.Count, Min: 0),
            ],
        };
    }

    // ---- size anomaly ----

    private HealthFinding Size(IReadOnlyList<SnapshotSummary> summaries)
    {
        var settings = _context.Settings.Check;
        var dropWarning = settings.SizeDropWarningValue;
        var dropCritical = settings.SizeDropCriticalValue;
        var growthWarning = settings.SizeGrowthWarningValue;
        var problems = new List<(HealthStatus Status, string Text, bool Drop)>();
        var notes = new List<string>();
        var metrics = new List<HealthMetric>();
        foreach (var group in summaries.GroupBy(s => s.Group, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(s => s.Time).ThenBy(s => s.Id, StringComparer.Ordinal).ToList();
            var latest = ordered[^1];
            var before = ordered.Take(ordered.Count - 1).TakeLast(settings.SizeWindow).Select(s => s.Size).ToList();
            if (before.Count < MinimumSizeHistory)
            {
                notes.Add($"{group.Key}: {HealthText.Count(ordered.Count, "backup")}, too few to judge");
                continue;
            }
            var median = Median(before);
            if (metrics.Count == 0)
            {
                metrics.Add(new HealthMetric("backup_size", latest.Size, "B", Min: 0));
                metrics.Add(new HealthMetric("backup_size_median", median, "B", Min: 0));
            }
            if (median <= 0)
            {
                notes.Add($"{group.Key}: earlier backups are empty");
                continue;
            }
            var ratio = latest.Size / median;
            var drop = (1 - ratio) * 100;
            var growth = (ratio - 1) * 100;
            var comparison = $"the newest backup of {group.Key} ({latest.ShortId}, {HealthText.Bytes(latest.Size)}) is";
            var reference = $"the median of the {before.Count} before it ({HealthText.Bytes((long)median)})";
            if (dropCritical is { } dc && drop >= dc)
                problems.Add((HealthStatus.Critical, $"{comparison} {HealthText.Percent(drop)} smaller than {reference}", true));
            else if (dropWarning is { } dw && drop >= dw)
                problems.Add((HealthStatus.Warning, $"{comparison} {HealthText.Percent(drop)} smaller than {reference}", true));
            else if (growthWarning is { } gw && growth >= gw)
                problems.Add((HealthStatus.Warning, $"{comparison} {HealthText.Percent(growth)} larger than {reference}", false));
            else
                notes.Add($"{group.Key}: {HealthText.Bytes(latest.Size)}, {(ratio >= 1 ? "+" : "")}{HealthText.Percent((ratio - 1) * 100)} against the median of {before.Count}");
        }
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = "size", Status = HealthStatus.Ok,
                Summary = notes.Count == 0 ? "no backup to compare yet" : string.Join("; ", notes), Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = "size",
            Status = HealthStatuses.Worst(problems.Select(p => p.Status)),
            Summary = string.Join("; ", problems.Select(p => p.Text)),
            Advice = problems.Any(p => p.Drop)
                ? "a much smaller dump often means the wrong database, missing permissions, or data that was deleted: look at 'bulwark show latest', compare with the source, and run a restore drill"
                : "check that the growth is expected (a data import, a new table); 'bulwark show latest' lists the streams",
            Metrics = metrics,
        };
    }

    private static double Median(List<long> values)
    {
        var sorted = values.Order().ToList();
        var mid = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2.0;
    }

    // ---- integrity of the newest snapshot ----

    private async Task<HealthFinding> IntegrityAsync(BackupRepository repository, SnapshotCatalog catalog, IReadOnlyList<SnapshotSummary> summaries,
        IReadOnlyList<(string Snapshot, string Error)> damaged, double subsetPercent, CancellationToken cancellationToken)
    {
        var problems = damaged.Select(d => $"manifest of {d.Snapshot}: {d.Error}").ToList();
        if (summaries.Count == 0)
        {
            return new HealthFinding
            {
                Check = "integrity",
                Status = problems.Count == 0 ? HealthStatus.Ok : HealthStatus.Critical,
                Summary = problems.Count == 0 ? "no snapshot to check" : string.Join("; ", problems),
                Advice = problems.Count == 0 ? null : "run 'bulwark verify' for the full list",
            };
        }
        var latest = summaries[^1];
        var id = ObjectId.Parse(latest.Id);
        var (chunksChecked, missing) = await MissingChunksAsync(repository, catalog, id, cancellationToken).ConfigureAwait(false);
        problems.AddRange(missing.Take(3).Select(name => $"{name}: chunk is missing"));
        var extra = missing.Count > 3 ? $" (and {missing.Count - 3} more)" : "";
        var readText = "";
        long bytesRead = 0;
        if (subsetPercent > 0 && missing.Count == 0)
        {
            var (read, chunks, bad) = await ReadSubsetAsync(repository, id, subsetPercent, cancellationToken).ConfigureAwait(false);
            bytesRead = read;
            problems.AddRange(bad.Take(3));
            readText = $"; {HealthText.Percent(subsetPercent)} of its data read back and checked ({HealthText.Count(chunks, "chunk")}, {HealthText.Bytes(read)})";
        }
        var metrics = new List<HealthMetric> { new("integrity_problems", problems.Count, Min: 0) };
        if (subsetPercent > 0)
            metrics.Add(new HealthMetric("bytes_read", bytesRead, "B", Min: 0));
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = "integrity",
                Status = HealthStatus.Ok,
                Summary = $"newest snapshot {latest.ShortId} complete ({HealthText.Count(chunksChecked, "chunk")} present){readText}",
                Metrics = metrics,
            };
        // Unreadable manifests of older snapshots come first and are named as such: the newest may be fine.
        var newestProblems = problems.Skip(damaged.Count).ToList();
        var parts = new List<string>();
        if (damaged.Count > 0)
            parts.Add($"{HealthText.Count(damaged.Count, "manifest")} cannot be read: {string.Join("; ", problems.Take(damaged.Count))}");
        if (newestProblems.Count > 0)
            parts.Add($"newest snapshot {latest.ShortId} is damaged: {string.Join("; ", newestProblems)}{extra}");
        return new HealthFinding
        {
            Check = "integrity",
            Status = HealthStatus.Critical,
            Summary = string.Join("; ", parts),
            Advice = newestProblems.Count > 0
                ? "run 'bulwark verify --read-data' for the full list; restore from an earlier snapshot that verifies, and take a new backup now"
                : "run 'bulwark verify' for the full list; copy the damaged manifest back from another copy of the repository, " +
                  "or set it aside ('A damaged manifest' in docs/RUNBOOK.md): until then cleanup removes nothing",
            Metrics = metrics,
        };
    }

    /// <summary>
    /// The chunks of a snapshot that are missing. In a local folder each one is looked up (a stat per chunk is
    /// cheaper than listing a repository that holds many more); on an object store, where a request per chunk is
    /// slow, the chunk listing is compared (<see cref="RepositoryVerifier"/>).
    /// </summary>
    private async Task<(int Checked, List<string> Missing)> MissingChunksAsync(BackupRepository repository,
        SnapshotCatalog catalog, ObjectId id, CancellationToken cancellationToken)
    {
        if (BackendRegistry.SchemeOf(_context.RepositoryLocation) is not null)
        {
            var report = await RepositoryVerifier.VerifyAsync(repository, [id], readData: false, cancellationToken: cancellationToken).ConfigureAwait(false);
            return (report.ChunksChecked, report.Problems.Select(p => p.Object).ToList());
        }
        var chunks = await catalog.ChunkIdsAsync(id, cancellationToken).ConfigureAwait(false);
        var missing = new List<string>();
        await Parallel.ForEachAsync(chunks,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                var name = BackupRepository.ChunkName(chunk);
                if (await repository.Backend.StatAsync(name, ct).ConfigureAwait(false) is null)
                {
                    lock (missing)
                        missing.Add(name);
                }
            }).ConfigureAwait(false);
        missing.Sort(StringComparer.Ordinal);
        return (chunks.Count, missing);
    }

    /// <summary>Reads a random part of a snapshot's chunks (a different part each run, so that runs add up) and checks each against its id.</summary>
    private static async Task<(long Bytes, int Chunks, List<string> Problems)> ReadSubsetAsync(BackupRepository repository,
        ObjectId id, double percent, CancellationToken cancellationToken)
    {
        var snapshot = await repository.LoadSnapshotAsync(id, cancellationToken).ConfigureAwait(false);
        var chunks = snapshot.Manifest.Streams.SelectMany(s => s.Chunks).DistinctBy(c => c.Id).ToArray();
        var count = Math.Min(chunks.Length, (int)Math.Ceiling(chunks.Length * percent / 100));
        Random.Shared.Shuffle(chunks);
        var problems = new List<string>();
        long bytes = 0;
        await Parallel.ForEachAsync(chunks.Take(count),
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                try
                {
                    // Length and id checked against the reference by the read itself.
                    var data = await repository.ReadChunkAsync(chunk, ct).ConfigureAwait(false);
                    Interlocked.Add(ref bytes, data.Length);
                }
                catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
                {
                    lock (problems)
                        problems.Add($"{BackupRepository.ChunkName(chunk.Id)}: {e.Message}");
                }
            }).ConfigureAwait(false);
        return (bytes, count, problems);
    }

    // ---- locks ----

    private static async Task<HealthFinding> LocksAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var locks = await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false);
        var stale = locks.Where(l => l.Stale).ToList();
        var running = locks.Count - stale.Count;
        var metrics = new HealthMetric[] { new("stale_locks", stale.Count, Warning: 0, Min: 0), new("running_operations", running, Min: 0) };
        if (stale.Count == 0)
            return new HealthFinding
            {
                Check = "locks",
                Status = HealthStatus.Ok,
                Summary = running == 0 ? "no locks" : $"{HealthText.Count(running, "operation")} running: {string.Join("; ", locks.Take(3).Select(l => l.Info.Describe()))}",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = "locks",
            Status = HealthStatus.Warning,
            Summary = $"{HealthText.Count(stale.Count, "stale lock")} (an operation crashed or was killed): {string.Join("; ", stale.Take(3).Select(l => l.Info.Describe()))}",
            Advice = "run 'bulwark unlock' to remove them; then 'bulwark verify' if it was a backup or a cleanup",
            Metrics = metrics,
        };
    }

    // ---- restore drills ----

    private async Task<HealthFinding?> DrillAsync(SnapshotCatalog catalog, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var proofs = await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false);
        var last = proofs.Where(p => p.Kind == ProofRecord.Drill).MaxBy(p => p.Time);
        if (last is null)
            return null;
        var age = now - last.Time;
        var warning = _context.Settings.Check.DrillAgeWarningValue;
        var shortId = last.Snapshot.Length > 8 ? last.Snapshot[..8] : last.Snapshot;
        var metrics = new HealthMetric[]
        {
            new("drill_age", Math.Round(age.TotalSeconds), "s", warning?.TotalSeconds, Min: 0),
            new("drill_passed", last.Passed ? 1 : 0, Min: 0, Max: 1),
        };
        if (!last.Passed)
            return new HealthFinding
            {
                Check = "drill",
                Status = HealthStatus.Critical,
                Summary = $"the last restore drill ({HealthText.Age(age)} ago, snapshot {shortId}) failed: {last.Summary ?? "no details"}",
                Advice = $"run 'bulwark test-restore {shortId}' to see the differences; until a drill passes, do not rely on this snapshot",
                Metrics = metrics,
            };
        if (warning is { } w && age > w)
            return new HealthFinding
            {
                Check = "drill",
                Status = HealthStatus.Warning,
                Summary = $"the last restore drill ran {HealthText.Age(age)} ago (warning above {HealthText.Age(w)}); it passed on snapshot {shortId}",
                Advice = "run 'bulwark test-restore', and schedule it ('schedule.drill' in bulwark.yml)",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = "drill",
            Status = HealthStatus.Ok,
            Summary = $"last restore drill {HealthText.Age(age)} ago passed (snapshot {shortId})",
            Metrics = metrics,
        };
    }

    // ---- rulesets and modules ----

    private async Task<HealthFinding?> RulesetsAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var names = await RulesetRegistry.ListNamesAsync(repository, cancellationToken).ConfigureAwait(false);
        if (names.Count == 0)
            return null;
        var result = await new RulesetOperations(_context).VerifyAllAsync(cancellationToken).ConfigureAwait(false);
        var activated = result.Checks.Where(c => c.Status != RulesetFileStatus.NotActivated).ToList();
        if (activated.Count == 0)
            return null;
        var problems = result.Problems.ToList();
        var metrics = new HealthMetric[] { new("ruleset_drift", problems.Count, Warning: 0, Min: 0) };
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = "rulesets",
                Status = HealthStatus.Ok,
                Summary = $"{HealthText.Count(activated.Count, "environment file")} match{(activated.Count == 1 ? "es" : "")} the active version",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = "rulesets",
            Status = HealthStatus.Warning,
            Summary = string.Join("; ", problems.Take(3).Select(p => $"{p.Ruleset}/{p.Environment}: {p.Describe()}")) +
                      (problems.Count > 3 ? $" (and {problems.Count - 3} more)" : ""),
            Advice = "register the change ('bulwark ruleset create') and activate it, or restore the active version ('bulwark ruleset activate VERSION --env ENV --force')",
            Metrics = metrics,
        };
    }

    private async Task<HealthFinding> ModulesAsync(BackupRepository repository, IReadOnlyList<SnapshotSummary> summaries,
        CancellationToken cancellationToken)
    {
        var modules = new ModulesOperation(_context);
        IReadOnlyList<ModuleRecord> current;
        try
        {
            current = await modules.Scanner().ScanAsync(modules.SelectFiles(), cancellationToken).ConfigureAwait(false);
        }
        catch (BulwarkException e) when (e.Kind is ErrorKind.Configuration or ErrorKind.Usage)
        {
            return new HealthFinding { Check = "modules", Status = HealthStatus.Warning, Summary = e.Message, Advice = e.Advice };
        }
        var previous = summaries.LastOrDefault(s => s.HasModules);
        var recorded = previous is null
            ? null
            : (await repository.LoadSnapshotAsync(ObjectId.Parse(previous.Id), cancellationToken).ConfigureAwait(false)).Manifest.Modules;
        var problems = ModuleComparison.Compare(recorded, current).Where(c => c.IsProblem).ToList();
        var metrics = new HealthMetric[] { new("module_conflicts", problems.Count, Warning: 0, Min: 0) };
        if (problems.Count == 0)
            return new HealthFinding
            {
                Check = "modules",
                Status = HealthStatus.Ok,
                Summary = $"{HealthText.Count(current.Count, "module")}, no version conflict{(previous is null ? "" : $" against snapshot {previous.ShortId}")}",
                Metrics = metrics,
            };
        return new HealthFinding
        {
            Check = "modules",
            Status = HealthStatus.Warning,
            Summary = string.Join("; ", problems.Take(3).Select(p => $"{p.Path}: {p.Describe()}")) +
                      (problems.Count > 3 ? $" (and {problems.Count - 3} more)" : ""),
            Advice = "raise the version in the module's header when its content changes ('bulwark modules' shows every module)",
            Metrics = metrics,
        };
    }

    // ---- local checks ----

    private HealthFinding Operations(string? repositoryDisplay, string? repositoryId, DateTimeOffset now)
    {
        var records = _context.Log.Read().Where(r => IsOf(r, repositoryDisplay, repositoryId)).ToList();
        var failing = new List<(string Operation, List<OperationRecord> Failures, OperationRecord? LastOk)>();
        foreach (var operation in WatchedOperations)
        {
            var runs = records.Where(r => r.Operation == operation).OrderBy(r => r.Start).ToList();
            var lastOk = runs.FindLastIndex(r => r.Succeeded);
            var failures = runs.Skip(lastOk + 1).Where(r => r.Outcome == OperationLog.Failed).ToList();
            if (failures.Count > 0)
                failing.Add((operation, failures, lastOk >= 0 ? runs[lastOk] : null));
        }
        var total = failing.Sum(f => f.Failures.Count);
        var metrics = new HealthMetric[] { new("failed_operations", total, Warning: 0, Min: 0) };
        if (failing.Count == 0)
            return new HealthFinding
            {
                Check = "operations",
                Status = HealthStatus.Ok,
                Summary = records.Count == 0 ? "the operations log is empty" : "no failure since the last success of each operation",
                Metrics = metrics,
            };
        var integrity = failing.Any(f => f.Failures.Any(r => r.ErrorKind == nameof(ErrorKind.Integrity)));
        return new HealthFinding
        {
            Check = "operations",
            Status = integrity ? HealthStatus.Critical : HealthStatus.Warning,
            Summary = string.Join("; ", failing.Select(f =>
            {
                var last = f.Failures[^1];
                var since = f.LastOk is null ? "never succeeded" : $"last success {HealthText.Age(now - f.LastOk.End)} ago";
                return $"{f.Operation} failed {(f.Failures.Count == 1 ? "once" : $"{f.Failures.Count} times")} ({since}), last {HealthText.Age(now - last.End)} ago: {last.Error ?? "no error recorded"}";
            })),
            Advice = "'bulwark log --errors' shows each failure; fix the cause and run the operation again (a success clears this)",
            Metrics = metrics,
        };
    }

    /// <summary>
    /// Whether a log record belongs to the repository being checked (the state folder, and so the log, may be shared
    /// by several repositories). A record that names the repository it opened belongs to it wherever it was reached
    /// from, and not to another repository later made at the same location. A record without an id (it failed before
    /// the repository could be opened, or a version before ids wrote it), or a check that could not open the
    /// repository, falls back to the location: the same configured location (both none included) is the same
    /// repository. So a failure against an unreachable location, or with no repository at all, is no other's problem.
    /// </summary>
    internal static bool IsOf(OperationRecord record, string? repositoryDisplay, string? repositoryId) =>
        record.RepositoryId is { } id && repositoryId is not null
            ? id == repositoryId
            : record.Repository == (repositoryDisplay is null ? null : SecretRedactor.Redact(repositoryDisplay));

    private HealthFinding Disk(string? localRepository)
    {
        var settings = _context.Settings.Check;
        var warning = settings.DiskFreeWarningValue;
        var critical = settings.DiskFreeCriticalValue;
        var places = new List<(string Label, string Path)>();
        if (localRepository is not null)
            places.Add(("repository", localRepository));
        places.Add(("state", _context.Config.StateDirectory));
        var metrics = new List<HealthMetric>();
        var texts = new List<string>();
        var problems = new List<(HealthStatus Status, string Text)>();
        foreach (var (label, path) in places)
        {
            var existing = path;
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
                existing = parent;
            var drive = new DriveInfo(existing);
            var free = drive.AvailableFreeSpace;
            var total = drive.TotalSize;
            metrics.Add(new HealthMetric($"disk_free_{label}", free, "B", warning?.InBytes(total), critical?.InBytes(total), 0, total, Below: true));
            var percent = total > 0 ? free * 100.0 / total : 0;
            var text = $"{label} {HealthText.Bytes(free)} free ({HealthText.Percent(percent)})";
            if (critical is not null && critical.IsBelow(free, total))
                problems.Add((HealthStatus.Critical, $"{text} at {path}, critical below {critical}"));
            else if (warning is not null && warning.IsBelow(free, total))
                problems.Add((HealthStatus.Warning, $"{text} at {path}, warning below {warning}"));
            else
                texts.Add(text);
        }
        if (problems.Count == 0)
            return new HealthFinding { Check = "disk", Status = HealthStatus.Ok, Summary = string.Join(", ", texts), Metrics = metrics };
        return new HealthFinding
        {
            Check = "disk",
            Status = HealthStatuses.Worst(problems.Select(p => p.Status)),
            Summary = string.Join("; ", problems.Select(p => p.Text)),
            Advice = "free space there ('bulwark cleanup' applies the retention policy; 'bulwark cleanup --dry-run' shows what it removes), or move the repository",
            Metrics = metrics,
        };
    }

    // ---- helpers ----

    private static HealthFinding Guard(string check, Func<HealthFinding> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failed(check, e);
        }
    }

    private static async Task<HealthFinding?> GuardOptionalAsync(string check, Func<Task<HealthFinding?>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Failed(check, e);
        }
    }

    private static async Task<HealthFinding> GuardAsync(string check, Func<Task<HealthFinding>> body) =>
        (await GuardOptionalAsync(check, async () => await body().ConfigureAwait(false)).ConfigureAwait(false))!;

    /// <summary>A check that could not run: UNKNOWN, or CRITICAL when the repository itself is damaged or unreachable.</summary>
    private static HealthFinding Failed(string check, Exception e) => e switch
    {
        BulwarkException { Kind: ErrorKind.Integrity } b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Critical, Summary = b.Message,
            Advice = b.Advice ?? "run 'bulwark verify' to see what is damaged",
        },
        BulwarkException { Kind: ErrorKind.StorageUnavailable or ErrorKind.Repository } b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Critical, Summary = b.Message, Advice = b.Advice,
        },
        BulwarkException b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Unknown, Summary = $"could not check: {b.Message}", Advice = b.Advice,
        },
        _ => new HealthFinding
        {
            Check = check, Status = HealthStatus.Unknown, Summary = $"could not check: {e.GetType().Name}: {e.Message}",
            Advice = "run again with --verbose, and report it if it persists",
        },
    };
}
