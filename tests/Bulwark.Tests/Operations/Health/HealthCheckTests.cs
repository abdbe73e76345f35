using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Rulesets;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;
using Bulwark.Versioning.Rulesets;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Health;

/// <summary>The health check against real repositories built without a database, on a fake clock.</summary>
public sealed class HealthCheckTests : FakeClockTest
{

    private async Task<(SyntheticRepository Repo, BulwarkContext Context)> CreateAsync(Action<BulwarkConfig>? configure = null)
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"), _time);
        var context = TestConfig.Context(_directory, null, _time, c =>
        {
            // The machine's disk is not what these tests are about.
            c.Check.DiskFreeWarning = "off";
            c.Check.DiskFreeCritical = "off";
            configure?.Invoke(c);
        });
        return (repo, context);
    }

    /// <summary>Daily backups of <paramref name="chunks"/> chunks each (256 bytes a chunk), the newest <paramref name="newestAge"/> ago.</summary>
    private static async Task AddDailyAsync(SyntheticRepository repo, int count, TimeSpan newestAge, int chunks = 20, int offset = 0)
    {
        for (var i = 0; i < count; i++)
        {
            var time = Now - newestAge - TimeSpan.FromDays(count - 1 - i);
            await repo.AddSnapshotAsync(Enumerable.Range(offset + i, chunks), time);
        }
    }

    private Task<HealthReport> CheckAsync(BulwarkContext context, HealthCheckRequest? request = null) =>
        new HealthCheckOperation(context).RunAsync(request, Ct);

    [Fact]
    public async Task NoBackup_IsCritical_WithAdvice()
    {
        var (_, context) = await CreateAsync();
        var report = await CheckAsync(context);
        var age = report.Find(HealthCheckNames.BackupAge)!;
        Assert.Equal(HealthStatus.Critical, age.Status);
        Assert.Contains("no backup", age.Summary);
        Assert.Contains("bulwark backup", age.Advice);
        Assert.Equal(HealthStatus.Critical, report.Status);
        Assert.Equal(2, report.ExitCode);
    }

    [Fact]
    public async Task FreshDailyBackups_AreOk_AndEveryCheckRuns()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 10, TimeSpan.FromHours(3));
        var report = await CheckAsync(context);
        Assert.True(report.Status == HealthStatus.Ok, string.Join("\n", report.Findings.Select(f => $"{f.Check} {f.Status} {f.Summary}")));
        Assert.Equal(0, report.ExitCode);
        Assert.Equal([HealthCheckNames.BackupAge, HealthCheckNames.Integrity, HealthCheckNames.Size, HealthCheckNames.Locks, HealthCheckNames.Operations, HealthCheckNames.Disk],
            report.Findings.Select(f => f.Check));
        Assert.Contains("3 h ago", report.Find(HealthCheckNames.BackupAge)!.Summary);
        Assert.Contains(report.Find(HealthCheckNames.BackupAge)!.Metrics, m => m.Name == "snapshots" && m.Value == 10);
    }

    [Theory]
    [InlineData(25, HealthStatus.Ok)]
    [InlineData(27, HealthStatus.Warning)]
    [InlineData(51, HealthStatus.Critical)]
    public async Task BackupAge_AgainstDefaultThresholds(int hours, HealthStatus expected)
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 5, TimeSpan.FromHours(hours));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.BackupAge)!;
        Assert.Equal(expected, finding.Status);
        var metric = finding.Metrics.Single(m => m.Name == "backup_age");
        Assert.Equal(hours * 3600, metric.Value);
        Assert.Equal(26 * 3600, metric.Warning);
        Assert.Equal(50 * 3600, metric.Critical);
        if (expected != HealthStatus.Ok)
            Assert.Contains($"{hours} h old", finding.Summary);
    }

    [Fact]
    public async Task BackupAge_UsesConfiguredThresholds_AndNamesTheStaleDatabase()
    {
        var (repo, context) = await CreateAsync(c => { c.Check.BackupAgeWarning = "2h"; c.Check.BackupAgeCritical = "off"; });
        await repo.AddSnapshotAsync([1, 2], Now - TimeSpan.FromHours(1), database: "fresh");
        await repo.AddSnapshotAsync([3, 4], Now - TimeSpan.FromDays(9), database: "forgotten");
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.BackupAge)!;
        Assert.Equal(HealthStatus.Warning, finding.Status);
        Assert.Contains("forgotten", finding.Summary);
        Assert.DoesNotContain("fresh", finding.Summary);
    }

    [Theory]
    [InlineData(20, HealthStatus.Ok)]      // the same size
    [InlineData(9, HealthStatus.Warning)]  // 55% smaller
    [InlineData(1, HealthStatus.Critical)] // 95% smaller: the empty dump
    [InlineData(45, HealthStatus.Warning)] // 125% larger
    public async Task Size_ComparesTheNewestWithTheMedianOfTheOnesBefore(int newestChunks, HealthStatus expected)
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 8, TimeSpan.FromHours(27));
        await repo.AddSnapshotAsync(Enumerable.Range(500, newestChunks), Now - TimeSpan.FromHours(3));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Size)!;
        Assert.True(expected == finding.Status, finding.Summary);
        Assert.Contains(finding.Metrics, m => m.Name == "backup_size_median" && m.Value == 20 * 256);
        if (expected == HealthStatus.Critical)
        {
            Assert.Contains("smaller than the median of the 7 before it", finding.Summary);
            Assert.Contains("wrong database", finding.Advice);
        }
    }

    [Fact]
    public async Task Size_WithTooFewBackups_IsNotJudged()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        await repo.AddSnapshotAsync([900], Now - TimeSpan.FromHours(1));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Size)!;
        Assert.Equal(HealthStatus.Ok, finding.Status);
        Assert.Contains("too few", finding.Summary);
    }

    [Fact]
    public async Task Integrity_MissingChunkOfTheNewestSnapshot_IsCritical_AndNamesIt()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 3, TimeSpan.FromHours(2));
        var latest = (await repo.Repository.ListSnapshotsAsync(Ct))[^1];
        var chunk = SyntheticRepository.ChunkNamesOf(latest).Last();
        File.Delete(repo.PathOf(chunk));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.Contains(chunk, finding.Summary);
        Assert.Contains(latest.ShortId, finding.Summary);
        Assert.Contains("verify --read-data", finding.Advice);
    }

    [Fact]
    public async Task ReadDataSubset_FindsAFlippedByte_ThatTheStructureCheckCannotSee()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        var latest = (await repo.Repository.ListSnapshotsAsync(Ct))[^1];
        var path = repo.PathOf(SyntheticRepository.ChunkNamesOf(latest).First());
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[^3] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes, Ct);

        Assert.Equal(HealthStatus.Ok, (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!.Status);
        var finding = (await CheckAsync(context, new HealthCheckRequest { ReadDataSubset = 100 })).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.Contains(Path.GetFileName(path), finding.Summary);
    }

    [Fact]
    public async Task ReadDataSubset_ReadsAboutThatShareOfTheChunks()
    {
        var (repo, context) = await CreateAsync();
        await repo.AddSnapshotAsync(Enumerable.Range(0, 200), Now - TimeSpan.FromHours(1));
        var finding = (await CheckAsync(context, new HealthCheckRequest { ReadDataSubset = 10 })).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Ok, finding.Status);
        Assert.Contains("20 chunks", finding.Summary);
        Assert.Equal(20 * 256, finding.Metrics.Single(m => m.Name == "bytes_read").Value);
    }

    [Fact]
    public async Task DamagedManifest_IsCritical_AndTheOtherChecksStillRun()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 4, TimeSpan.FromHours(2));
        var victim = (await repo.Repository.ListSnapshotsAsync(Ct))[1];
        await File.WriteAllBytesAsync(repo.PathOf(RepositoryLayout.SnapshotName(victim.Id)), [1, 2, 3], Ct);
        var report = await CheckAsync(context);
        Assert.Equal(HealthStatus.Critical, report.Find(HealthCheckNames.Integrity)!.Status);
        Assert.Contains(victim.ShortId, report.Find(HealthCheckNames.Integrity)!.Summary);
        Assert.Equal(HealthStatus.Ok, report.Find(HealthCheckNames.BackupAge)!.Status);
    }

    [Fact]
    public async Task DamagedOldManifest_IsNamedAsUnreadable_NotAsDamageOfTheNewestSnapshot()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 3, TimeSpan.FromHours(2));
        var snapshots = await repo.Repository.ListSnapshotsAsync(Ct);
        await File.WriteAllBytesAsync(repo.PathOf(RepositoryLayout.SnapshotName(snapshots[0].Id)), [1, 2, 3], Ct);
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.StartsWith($"1 manifest cannot be read: manifest of {snapshots[0].ShortId}", finding.Summary);
        Assert.DoesNotContain("newest snapshot", finding.Summary);
        Assert.Contains("set it aside", finding.Advice);
    }

    [Fact]
    public async Task NewestManifestDamagedAfterItWasCached_IsCritical()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 3, TimeSpan.FromHours(2));
        Assert.Equal(HealthStatus.Ok, (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!.Status); // fills the caches
        var newest = (await repo.Repository.ListSnapshotsAsync(Ct))[^1];
        var path = repo.PathOf(RepositoryLayout.SnapshotName(newest.Id));
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[^2] ^= 0x10;
        await File.WriteAllBytesAsync(path, bytes, Ct);
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.Contains(newest.ShortId, finding.Summary);
    }

    [Fact]
    public async Task StaleLock_OfADeadProcess_IsAWarning_WithUnlockAdvice()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        using (var gone = Process.Start("true")!)
        {
            gone.WaitForExit();
            var info = new LockInfo
            {
                Id = "deadbeefdeadbeefdeadbeefdeadbeef", Mode = LockMode.Shared, Operation = "backup",
                Host = context.RepositoryOptions.HostName, ProcessId = gone.Id, Created = Now.AddHours(-1), Refreshed = Now.AddHours(-1),
            };
            await repo.Repository.WriteObjectAsync(RepositoryLock.ObjectName(info.Id), RepositoryJson.Serialize(info), Ct);
        }
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Locks)!;
        Assert.Equal(HealthStatus.Warning, finding.Status);
        Assert.Contains("1 stale lock", finding.Summary);
        Assert.Contains("bulwark unlock", finding.Advice);
    }

    [Fact]
    public async Task FailedOperations_SinceTheLastSuccess_AreReported_UntilTheNextSuccess()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        void Log(string operation, string outcome, int hoursAgo, string? kind = null) => context.Log.Append(new OperationRecord
        {
            Id = Guid.NewGuid().ToString("N")[..16], Operation = operation, Outcome = outcome,
            Start = Now.AddHours(-hoursAgo), End = Now.AddHours(-hoursAgo).AddMinutes(1), DurationMs = 60000,
            Repository = context.RepositoryDisplay, Error = outcome == OperationLog.Failed ? "pg_dump: connection to server failed" : null,
            ErrorKind = kind,
        });
        Log("backup", OperationLog.Failed, 50, "SourceUnavailable"); // before the last success: forgotten
        Log("backup", OperationLog.Ok, 30);
        Log("backup", OperationLog.Failed, 5, "SourceUnavailable");
        Log("backup", OperationLog.Failed, 4, "SourceUnavailable");
        Log("restore", OperationLog.Failed, 3, "Usage"); // a mistyped restore is no health problem
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Operations)!;
        Assert.Equal(HealthStatus.Warning, finding.Status);
        Assert.Contains("backup failed 2 times", finding.Summary);
        Assert.Contains("connection to server failed", finding.Summary);
        Assert.DoesNotContain("restore", finding.Summary);

        Log("verify", OperationLog.Failed, 2, nameof(ErrorKind.Integrity));
        Assert.Equal(HealthStatus.Critical, (await CheckAsync(context)).Find(HealthCheckNames.Operations)!.Status);

        Log("backup", OperationLog.Ok, 1);
        Log("verify", OperationLog.Ok, 1);
        Assert.Equal(HealthStatus.Ok, (await CheckAsync(context)).Find(HealthCheckNames.Operations)!.Status);
    }

    [Fact]
    public async Task Drills_LastResultAndAge_OnlyOnceDrillsExist()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        var latest = (await repo.Repository.ListSnapshotsAsync(Ct))[^1];
        Assert.Null((await CheckAsync(context)).Find(HealthCheckNames.Drill));

        async Task Drill(bool passed, int daysAgo, string? summary = null)
        {
            // The record's time is what counts (its object name carries the repository clock).
            await repo.Repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
            {
                Snapshot = latest.Id.ToString(), Kind = ProofRecord.Drill, Passed = passed, Time = Now.AddDays(-daysAgo), Summary = summary,
            }, Ct);
        }
        await Drill(true, 10);
        var old = (await CheckAsync(context)).Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Warning, old.Status);
        Assert.Contains("10 d ago", old.Summary);

        await Drill(false, 2, "public.orders: 10 rows instead of 12");
        var failed = (await CheckAsync(context)).Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Critical, failed.Status);
        Assert.Contains("public.orders", failed.Summary);
        Assert.Contains("test-restore", failed.Advice);

        await Drill(true, 1);
        Assert.Equal(HealthStatus.Ok, (await CheckAsync(context)).Find(HealthCheckNames.Drill)!.Status);
    }

    [Fact]
    public async Task Disk_BelowThreshold_IsCritical_AndNamesThePlace()
    {
        var (repo, context) = await CreateAsync(c => { c.Check.DiskFreeWarning = "100%"; c.Check.DiskFreeCritical = "1000TiB"; });
        await AddDailyAsync(repo, 1, TimeSpan.FromHours(2));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Disk)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.Contains("repository", finding.Summary);
        Assert.Contains("state", finding.Summary);
        Assert.Contains(finding.Metrics, m => m.Name == "disk_free_repository" && m.Below && m.ToPerfData().Contains(':', StringComparison.Ordinal));
    }

    [Fact]
    public async Task DaemonRefresh_QuickChecksCarryTheLastIntegrityResult()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 2, TimeSpan.FromHours(2));
        var runner = new Bulwark.Operations.Scheduling.JobRunner(context);
        Assert.Null((await runner.RefreshHealthAsync(quick: true, Ct)).Find(HealthCheckNames.Integrity));
        Assert.Equal(HealthStatus.Ok, (await runner.RefreshHealthAsync(quick: false, Ct)).Find(HealthCheckNames.Integrity)!.Status);
        var carried = (await runner.RefreshHealthAsync(quick: true, Ct)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Ok, carried.Status);
        Assert.Contains("at the last full check", carried.Summary);
    }

    [Fact]
    public async Task UnreachableRepository_IsCritical_ButLocalChecksStillRun()
    {
        var context = TestConfig.Context(_directory, null, _time, c => c.Repository = _directory.Combine("nothing-here"));
        var report = await CheckAsync(context);
        Assert.Equal(HealthStatus.Critical, report.Find(HealthCheckNames.Repository)!.Status);
        Assert.NotNull(report.Find(HealthCheckNames.Operations));
        Assert.NotNull(report.Find(HealthCheckNames.Disk));
    }

    [Fact]
    public async Task RulesetDrift_AndModuleConflicts_AreWarnings_WhenConfigured()
    {
        var (repo, context) = await CreateAsync(c => c.Modules = new ModulesConfig { Paths = ["modules/*.js"] });
        await AddDailyAsync(repo, 1, TimeSpan.FromHours(2));
        Directory.CreateDirectory(_directory.Combine("modules"));
        await File.WriteAllTextAsync(_directory.Combine("modules", "a.js"), "// @version 1.0.0\nexport const a = 1;\n", Ct);
        await File.WriteAllTextAsync(_directory.Combine("ruleset.yml"), "limit: 10\n", Ct);
        var rulesets = new RulesetOperations(context);
        await rulesets.CreateVersionAsync(VersionBump.Patch, "first", "alice", cancellationToken: Ct);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "alice", cancellationToken: Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest { FilesOnly = true }, null, Ct);

        var clean = await CheckAsync(context);
        Assert.Equal(HealthStatus.Ok, clean.Find(HealthCheckNames.Rulesets)!.Status);
        Assert.Equal(HealthStatus.Ok, clean.Find(HealthCheckNames.Modules)!.Status);

        await File.WriteAllTextAsync(_directory.Combine("environments", "prod", "ruleset.yml"), "limit: 99\n", Ct);
        await File.WriteAllTextAsync(_directory.Combine("modules", "a.js"), "// @version 1.0.0\nexport const a = 2;\n", Ct);
        var report = await CheckAsync(context);
        Assert.Equal(HealthStatus.Warning, report.Find(HealthCheckNames.Rulesets)!.Status);
        Assert.Contains("prod", report.Find(HealthCheckNames.Rulesets)!.Summary);
        Assert.Equal(HealthStatus.Warning, report.Find(HealthCheckNames.Modules)!.Status);
        Assert.Contains("a.js", report.Find(HealthCheckNames.Modules)!.Summary);
        Assert.Contains("version conflict", report.Find(HealthCheckNames.Modules)!.Summary);
    }

    [Fact]
    public async Task Nagios_OneLine_WithStatusProblemsAndPerfData()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 5, TimeSpan.FromHours(30));
        var line = (await CheckAsync(context)).ToNagios();
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("BULWARK WARNING - backup-age: ", line);
        var perf = line[(line.IndexOf(" | ", StringComparison.Ordinal) + 3)..];
        Assert.Contains("'backup_age'=108000s;93600;180000;0", perf);
        Assert.Contains("'snapshots'=5;;;0", perf);
        Assert.Contains("'time'=", perf);
        Assert.Equal(1, line.Count(c => c == '|'));
    }

    [Fact]
    public async Task SummaryCache_IsUsed_AndLosingOrDamagingItChangesNothing()
    {
        var (repo, context) = await CreateAsync();
        await AddDailyAsync(repo, 6, TimeSpan.FromHours(2));
        var first = await CheckAsync(context);
        var cache = new SnapshotCatalog(repo.Repository, context.Config.StateDirectory).Folder;
        var file = Path.Combine(cache, "snapshots-2.jsonl");
        Assert.Equal(6, (await File.ReadAllLinesAsync(file, Ct)).Length);

        // A cached summary stands in for its manifest: the manifest is not read again.
        var victim = (await repo.Repository.ListSnapshotsAsync(Ct))[2];
        var manifest = repo.PathOf(RepositoryLayout.SnapshotName(victim.Id));
        var saved = await File.ReadAllBytesAsync(manifest, Ct);
        File.SetUnixFileMode(manifest, UnixFileMode.None);
        if (Environment.UserName != "root")
            Assert.Equal(HealthStatus.Ok, (await CheckAsync(context, new HealthCheckRequest { Quick = true })).Status);
        File.SetUnixFileMode(manifest, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        // Torn, damaged or missing: the same answers.
        var chunkList = Directory.GetFiles(cache, "chunks-*.bin").Single();
        var listed = await File.ReadAllBytesAsync(chunkList, Ct);
        listed[5] ^= 1;
        await File.WriteAllBytesAsync(chunkList, listed, Ct);
        Assert.Equal(Describe(first), Describe(await CheckAsync(context)));
        await File.AppendAllTextAsync(file, "{\"id\":\"abc", Ct);
        Assert.Equal(Describe(first), Describe(await CheckAsync(context)));
        await File.WriteAllTextAsync(file, "not json\n", Ct);
        Assert.Equal(Describe(first), Describe(await CheckAsync(context)));
        Directory.Delete(cache, recursive: true);
        Assert.Equal(Describe(first), Describe(await CheckAsync(context)));

        // A snapshot removed from the repository leaves the answers too.
        await repo.Repository.DeleteSnapshotAsync(victim.Id, Ct);
        var after = await CheckAsync(context);
        Assert.Contains(after.Find(HealthCheckNames.BackupAge)!.Metrics, m => m.Name == "snapshots" && m.Value == 5);
        Assert.Equal(saved.Length, saved.Length);
    }

    /// <summary>The findings; of free disk space only the status (other tests write beside this one).</summary>
    private static string Describe(HealthReport report) =>
        string.Join("\n", report.Findings.Select(f => f.Check == HealthCheckNames.Disk ? $"{f.Check} {f.Status}" : $"{f.Check} {f.Status} {f.Summary}"));
}
