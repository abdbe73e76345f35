using Bulwark.Operations;
using Bulwark.Operations.Health;
using Bulwark.Operations.Status;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Health;

/// <summary>
/// The drill and integrity checks with several sources ('sources:'): each source is judged by its own snapshots and
/// drills, so one source's newest snapshot or passed drill does not hide another's problem.
/// </summary>
public sealed class HealthPerSourceTests : FakeClockTest
{
    private async Task<(SyntheticRepository Repo, BulwarkContext Context)> CreateAsync()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"), _time);
        var context = FleetConfig.Context(_directory, [("app", FleetConfig.Unreachable), ("crm", FleetConfig.Unreachable)], _time,
            c => c.Check.DrillAgeWarning = "7d");
        return (repo, context);
    }

    /// <summary>Three daily backups of each source; crm's newest is the newest of the repository.</summary>
    private static async Task<(Snapshot App, Snapshot Crm)> AddBackupsAsync(SyntheticRepository repo)
    {
        Snapshot? app = null, crm = null;
        for (var day = 2; day >= 0; day--)
        {
            app = await repo.AddSnapshotAsync(Enumerable.Range(10 * day, 8), Now.AddDays(-day).AddHours(-3), "app_db", source: "app");
            crm = await repo.AddSnapshotAsync(Enumerable.Range(100 + 10 * day, 8), Now.AddDays(-day).AddHours(-2), "crm_db", source: "crm");
        }
        return (app!, crm!);
    }

    private static Task DrillAsync(SyntheticRepository repo, Snapshot snapshot, bool passed, DateTimeOffset time, string? summary = null) =>
        repo.Repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
        {
            Snapshot = snapshot.Id.ToString(), Kind = ProofRecord.Drill, Passed = passed, Time = time, Summary = summary,
        }, Ct);

    private static Task<HealthReport> CheckAsync(BulwarkContext context, string? source = null) =>
        new HealthCheckOperation(source is null ? context : context.ForSource(context.SelectSources(source)[0]))
            .RunAsync(new HealthCheckRequest(), Ct);

    [Fact]
    public async Task Drill_IsJudgedPerSource_AFailedDrillIsNotHiddenByANewerPassedOneOfAnotherSource()
    {
        var (repo, context) = await CreateAsync();
        var (app, crm) = await AddBackupsAsync(repo);
        await DrillAsync(repo, crm, passed: false, Now.AddDays(-2), "public.contacts: 3 rows instead of 4");
        await DrillAsync(repo, app, passed: true, Now.AddHours(-1));

        var report = await CheckAsync(context);
        var drill = report.Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Critical, drill.Status);
        Assert.Contains("crm", drill.Summary);
        Assert.Contains("public.contacts", drill.Summary);
        Assert.Contains(crm.ShortId, drill.Advice);
        Assert.Contains("--source crm", drill.Advice);
        Assert.Equal(0, drill.Metrics.Single(m => m.Name == "drill_passed" && m.Source == "crm").Value);
        Assert.Equal(1, drill.Metrics.Single(m => m.Name == "drill_passed" && m.Source == "app").Value);
        Assert.Equal(3600, drill.Metrics.Single(m => m.Name == "drill_age" && m.Source == "app").Value);

        // One source alone: its own drills only.
        var appOnly = (await CheckAsync(context, "app")).Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Ok, appOnly.Status);
        Assert.DoesNotContain("crm", appOnly.Summary);
        Assert.Equal(HealthStatus.Critical, (await CheckAsync(context, "crm")).Find(HealthCheckNames.Drill)!.Status);

        // A passed drill of crm clears it; the old one of app is now past the warning.
        await DrillAsync(repo, crm, passed: true, Now.AddHours(-1));
        _time.Advance(TimeSpan.FromDays(8));
        await DrillAsync(repo, crm, passed: true, Now.AddDays(8).AddHours(-1));
        var later = (await CheckAsync(context)).Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Warning, later.Status);
        Assert.Contains("app", later.Summary);
        Assert.DoesNotContain("crm", later.Summary);
    }

    [Fact]
    public async Task Drill_ASourceWithoutDrills_IsNamed_ButIsNoProblem_AndNoDrillAtAllGivesNoFinding()
    {
        var (repo, context) = await CreateAsync();
        var (app, _) = await AddBackupsAsync(repo);
        Assert.Null((await CheckAsync(context)).Find(HealthCheckNames.Drill));
        Assert.Null((await CheckAsync(context, "crm")).Find(HealthCheckNames.Drill));

        await DrillAsync(repo, app, passed: true, Now.AddHours(-5));
        var drill = (await CheckAsync(context)).Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Ok, drill.Status);
        Assert.Contains("crm: no restore drill yet", drill.Summary);
        Assert.Null((await CheckAsync(context, "crm")).Find(HealthCheckNames.Drill));
    }

    [Fact]
    public async Task Integrity_ChecksTheNewestSnapshotOfEverySource_NotOnlyTheNewestOfTheRepository()
    {
        var (repo, context) = await CreateAsync();
        var (app, crm) = await AddBackupsAsync(repo);
        var healthy = (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Ok, healthy.Status);
        Assert.Contains(app.ShortId, healthy.Summary);
        Assert.Contains(crm.ShortId, healthy.Summary);

        // A chunk of app's newest snapshot only (crm's newest, the repository's newest, is intact).
        var chunk = SyntheticRepository.ChunkNamesOf(app).Except(SyntheticRepository.ChunkNamesOf(crm)).Last();
        File.Delete(repo.PathOf(chunk));
        var finding = (await CheckAsync(context)).Find(HealthCheckNames.Integrity)!;
        Assert.Equal(HealthStatus.Critical, finding.Status);
        Assert.Contains(chunk, finding.Summary);
        Assert.Contains($"newest snapshot {app.ShortId} of app is damaged", finding.Summary);
        Assert.DoesNotContain(crm.ShortId, finding.Summary);
        Assert.Equal(1, finding.Metrics.Single(m => m.Name == "integrity_problems" && m.Source == "app").Value);
        Assert.Equal(0, finding.Metrics.Single(m => m.Name == "integrity_problems" && m.Source == "crm").Value);

        Assert.Equal(HealthStatus.Ok, (await CheckAsync(context, "crm")).Find(HealthCheckNames.Integrity)!.Status);
        Assert.Equal(HealthStatus.Critical, (await CheckAsync(context, "app")).Find(HealthCheckNames.Integrity)!.Status);
    }

    [Fact]
    public async Task Status_ShowsTheHealthFindingsGroupedBySource()
    {
        var (repo, context) = await CreateAsync();
        var (app, crm) = await AddBackupsAsync(repo);
        await DrillAsync(repo, crm, passed: false, Now.AddDays(-1), "public.contacts: 3 rows instead of 4");
        await DrillAsync(repo, app, passed: true, Now.AddHours(-1));
        var health = await CheckAsync(context);

        var status = await new StatusOperation(context).RunAsync(health, Ct);
        var drill = status.Health!.Find(HealthCheckNames.Drill)!;
        Assert.Equal(HealthStatus.Critical, drill.Status);
        Assert.Equal(["app", "crm"], drill.Metrics.Where(m => m.Name == "drill_passed" && m.Source is not null).Select(m => m.Source));
        Assert.False(status.Sources.Single(s => s.Name == "crm").Drills.Single().Passed);
        Assert.True(status.Sources.Single(s => s.Name == "app").Drills.Single().Passed);
    }
}
