using System.Globalization;
using System.Text;
using Bulwark.Repository;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Repository.Maintenance;

/// <summary>
/// The policy over synthetic manifests, with a fake clock: two years of daily backups, DST changes in Europe/Berlin,
/// month ends, and the safety rules. Expected sets are written out by hand from the calendar.
/// </summary>
public sealed class RetentionEvaluatorTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    /// <summary>Daily backups at <paramref name="utcTimeOfDay"/> from 2023-01-01 to 2024-12-30 (730 days).</summary>
    private static (List<Snapshot> Snapshots, FakeTimeProvider Time) TwoYearsOfDailyBackups(TimeSpan utcTimeOfDay,
        string database = "app", Func<DateTimeOffset, IReadOnlyList<string>>? tags = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 1, 1, 0, 0, 0, TimeSpan.Zero) + utcTimeOfDay);
        var snapshots = new List<Snapshot>();
        for (var day = 0; day < 730; day++)
        {
            snapshots.Add(Make(time.GetUtcNow(), database, tags?.Invoke(time.GetUtcNow())));
            time.Advance(day < 729 ? TimeSpan.FromDays(1) : TimeSpan.FromHours(1)); // cleanup: an hour after the last backup
        }
        return (snapshots, time);
    }

    internal static Snapshot Make(DateTimeOffset time, string database = "app", IReadOnlyList<string>? tags = null)
    {
        var manifest = new SnapshotManifest
        {
            Time = time,
            EndTime = time + TimeSpan.FromMinutes(3),
            Host = "db1",
            Tags = tags ?? [],
            Source = new SourceInfo { Kind = "postgresql", Database = database },
            Streams = [],
        };
        var id = ObjectId.Sha256(Encoding.UTF8.GetBytes($"{database}|{time:O}"));
        return new Snapshot(id, manifest);
    }

    private static RetentionPlan Evaluate(IEnumerable<Snapshot> snapshots, TimeProvider time, RetentionPolicy policy,
        IReadOnlyList<ProofRecord>? proofs = null) =>
        RetentionEvaluator.Evaluate(snapshots.ToList(), proofs ?? [], time.GetUtcNow(), policy);

    private static string[] KeptUtcDates(RetentionPlan plan) =>
        plan.Kept.Select(d => d.Snapshot.Manifest.Time.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).ToArray();

    [Fact]
    public void DefaultPolicy_KeepsTheLast30DailySnapshots()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        var plan = Evaluate(snapshots, time, RetentionPolicy.Default);
        Assert.Equal(snapshots.TakeLast(30).Select(s => s.Id), plan.Kept.Select(d => d.Snapshot.Id));
        Assert.Equal("2024-12-01", KeptUtcDates(plan)[0]);
        Assert.Contains("older than max-age 30d", plan.Forgotten.Last().Reasons);
        Assert.False(plan.RulesKeepNothing);
    }

    [Fact]
    public void MaxAge_IsMeasuredFromNow_AndAnAgeOfExactlyMaxAgeIsKept()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var exactly = Make(time.GetUtcNow() - TimeSpan.FromDays(30));
        var older = Make(time.GetUtcNow() - TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1));
        var newest = Make(time.GetUtcNow() - TimeSpan.FromHours(1));
        var plan = Evaluate([older, exactly, newest], time, RetentionPolicy.Default);
        Assert.Equal([exactly.Id, newest.Id], plan.Kept.Select(d => d.Snapshot.Id));
    }

    [Fact]
    public void MaxCount_KeepsTheNewest()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        var plan = Evaluate(snapshots, time, new RetentionPolicy { MaxCount = 100 });
        Assert.Equal(snapshots.TakeLast(100).Select(s => s.Id), plan.Kept.Select(d => d.Snapshot.Id));
        Assert.Contains("beyond max-count 100", plan.Forgotten.Last().Reasons);
    }

    [Fact]
    public void CalendarRules_InUtc_KeepTheNewestSnapshotOfEachBucket()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(22.5));
        var policy = new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 12, KeepYearly = 3, TimeZone = TimeZoneInfo.Utc };
        var plan = Evaluate(snapshots, time, policy);
        string[] expected =
        [
            "2023-12-31", // yearly 2023 (only two years exist: a third yearly bucket has no snapshot and is not counted)
            "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31",
            "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", // monthly (December's is the newest)
            "2024-12-15", "2024-12-22", // weekly 2024-W50, W51 (W52 ends on Sunday 12-29, 12-30 is 2025-W01)
            "2024-12-24", "2024-12-25", "2024-12-26", "2024-12-27", "2024-12-28", "2024-12-29", "2024-12-30", // daily
        ];
        Assert.Equal(expected, KeptUtcDates(plan));
        var newest = plan.Decisions[^1];
        Assert.Equal(["daily 2024-12-30", "weekly 2025-W01", "monthly 2024-12", "yearly 2024", RetentionEvaluator.NewestReason], newest.Reasons);
        Assert.Equal(["weekly 2024-W52", "daily 2024-12-29"], plan.Decisions[^2].Reasons.Order().Reverse());
    }

    /// <summary>
    /// Backups at 22:30 UTC are 23:30 in Berlin in winter but 00:30 of the next day in summer, so the last backup of a
    /// summer month in Berlin time is the one taken on the day before the month's last day (UTC).
    /// </summary>
    [Fact]
    public void CalendarRules_InBerlin_FollowLocalMonthEndsAcrossDaylightSavingTime()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(22.5));
        var policy = new RetentionPolicy { KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 12, KeepYearly = 3, TimeZone = Berlin };
        var plan = Evaluate(snapshots, time, policy);
        string[] expected =
        [
            "2023-12-31",
            "2024-01-31", "2024-02-29",
            "2024-03-30", // 03-31 22:30Z is 04-01 00:30 CEST: April's
            "2024-04-29", "2024-05-30", "2024-06-29", "2024-07-30", "2024-08-30", "2024-09-29", // CEST: one day earlier
            "2024-10-31", // back to CET on 10-27
            "2024-11-30",
            "2024-12-15", "2024-12-22",
            "2024-12-24", "2024-12-25", "2024-12-26", "2024-12-27", "2024-12-28", "2024-12-29", "2024-12-30",
        ];
        Assert.Equal(expected, KeptUtcDates(plan));
        Assert.Contains("monthly 2024-09", plan.Decisions.Single(d => d.Snapshot.Manifest.Time.UtcDateTime.Date == new DateTime(2024, 9, 29)).Reasons);
    }

    /// <summary>A cleanup every day for two years ends where one cleanup over all snapshots ends: the policy is stable.</summary>
    [Theory]
    [InlineData("UTC")]
    [InlineData("Europe/Berlin")]
    public void DailyCleanupForTwoYears_EndsWithTheSameSnapshotsAsOneCleanup(string zone)
    {
        var policy = new RetentionPolicy
        {
            KeepDaily = 7, KeepWeekly = 4, KeepMonthly = 12, KeepYearly = 3,
            TimeZone = TimeZoneInfo.FindSystemTimeZoneById(zone),
        };
        var time = new FakeTimeProvider(new DateTimeOffset(2023, 1, 1, 22, 30, 0, TimeSpan.Zero));
        var all = new List<Snapshot>();
        var repository = new List<Snapshot>();
        var maxKept = 0;
        for (var day = 0; day < 730; day++)
        {
            var snapshot = Make(time.GetUtcNow());
            all.Add(snapshot);
            repository.Add(snapshot);
            time.Advance(TimeSpan.FromHours(1));
            var plan = Evaluate(repository, time, policy);
            var forgotten = plan.Forgotten.Select(d => d.Snapshot.Id).ToHashSet();
            repository.RemoveAll(s => forgotten.Contains(s.Id));
            maxKept = Math.Max(maxKept, repository.Count);
            time.Advance(TimeSpan.FromHours(23));
        }
        var once = Evaluate(all, new FakeTimeProvider(all[^1].Manifest.Time + TimeSpan.FromHours(1)), policy);
        Assert.Equal(once.Kept.Select(d => d.Snapshot.Id), repository.Select(s => s.Id));
        Assert.InRange(maxKept, 20, 7 + 4 + 12 + 3);
    }

    [Fact]
    public void KeepDaily_InBerlin_KeepsOneOfTwoSnapshotsOnTheDayDaylightSavingTimeEnds()
    {
        // 10-26 22:30Z is 10-27 00:30 CEST and 10-27 22:30Z is 10-27 23:30 CET: one local day, two backups.
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 10, 29, 0, 0, 0, TimeSpan.Zero));
        var snapshots = new[] { 24, 25, 26, 27, 28 }
            .Select(d => Make(new DateTimeOffset(2024, 10, d, 22, 30, 0, TimeSpan.Zero))).ToList();
        var berlin = Evaluate(snapshots, time, new RetentionPolicy { KeepDaily = 3, TimeZone = Berlin });
        Assert.Equal(["2024-10-25", "2024-10-27", "2024-10-28"], KeptUtcDates(berlin));
        Assert.Contains("daily 2024-10-26", berlin.Decisions.Single(d => d.Snapshot.Manifest.Time.Day == 25).Reasons);
        var utc = Evaluate(snapshots, time, new RetentionPolicy { KeepDaily = 3, TimeZone = TimeZoneInfo.Utc });
        Assert.Equal(["2024-10-26", "2024-10-27", "2024-10-28"], KeptUtcDates(utc));
    }

    [Fact]
    public void KeepDaily_SkipsDaysWithoutSnapshots_AndReachesFurtherBack()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 3, 31, 12, 0, 0, TimeSpan.Zero));
        // On 2024-03-31 in Berlin the day has 23 hours; a backup at 01:30 local and one at 03:30 local are both on it.
        var snapshots = new[]
        {
            Make(new DateTimeOffset(2024, 3, 20, 1, 0, 0, TimeSpan.Zero)),
            Make(new DateTimeOffset(2024, 3, 25, 1, 0, 0, TimeSpan.Zero)),
            Make(new DateTimeOffset(2024, 3, 31, 0, 30, 0, TimeSpan.Zero)), // 01:30 CET
            Make(new DateTimeOffset(2024, 3, 31, 1, 30, 0, TimeSpan.Zero)), // 03:30 CEST
        };
        var plan = Evaluate(snapshots, time, new RetentionPolicy { KeepDaily = 3, TimeZone = Berlin });
        Assert.Equal([snapshots[0].Id, snapshots[1].Id, snapshots[3].Id], plan.Kept.Select(d => d.Snapshot.Id));
        Assert.Equal(["no keep rule matches"], plan.Decisions.Single(d => d.Snapshot.Id == snapshots[2].Id).Reasons);
    }

    [Fact]
    public void KeepWithin_IsMeasuredFromTheNewestSnapshot_NotFromNow()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        time.Advance(TimeSpan.FromDays(20)); // backups stopped 20 days ago
        var plan = Evaluate(snapshots, time, new RetentionPolicy { KeepWithin = TimeSpan.FromDays(10) });
        Assert.Equal(snapshots.TakeLast(11).Select(s => s.Id), plan.Kept.Select(d => d.Snapshot.Id));
        Assert.Contains("within 10d", plan.Decisions[^1].Reasons);
    }

    [Fact]
    public void KeepTag_KeepsTaggedSnapshots_AndLimitsStillCapThem()
    {
        // Snapshots on the 1st of a month are tagged "monthly".
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2),
            tags: t => t.Day == 1 ? ["daily", "monthly"] : ["daily"]);
        var plan = Evaluate(snapshots, time, new RetentionPolicy { KeepTags = ["monthly"], MaxAge = TimeSpan.FromDays(366) });
        var kept = KeptUtcDates(plan);
        Assert.Equal(13, kept.Length); // 2024-01-01 … 2024-12-01, and the newest (safety)
        Assert.Equal("2024-01-01", kept[0]);
        Assert.Equal("2024-12-30", kept[^1]);
        Assert.Equal([RetentionEvaluator.NewestReason], plan.Decisions[^1].Reasons);
        Assert.Contains("older than max-age 366d", plan.Decisions.Single(d => d.Snapshot.Manifest.Time.UtcDateTime.Date == new DateTime(2023, 12, 1)).Reasons);
    }

    [Fact]
    public void KeepLast_WithMaxCountBelowOtherRules_CapsToTheNewest()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        var plan = Evaluate(snapshots, time, new RetentionPolicy { KeepLast = 3, KeepDaily = 50, MaxCount = 10 });
        Assert.Equal(snapshots.TakeLast(10).Select(s => s.Id), plan.Kept.Select(d => d.Snapshot.Id));
        Assert.Equal(["last", "daily 2024-12-30", RetentionEvaluator.NewestReason], plan.Decisions[^1].Reasons);
        Assert.Equal(["beyond max-count 10", "(chosen by daily 2024-12-20)"], plan.Decisions[^11].Reasons);
    }

    [Fact]
    public void RulesAndLimits_ApplyPerDatabase()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2024, 6, 10, 12, 0, 0, TimeSpan.Zero));
        var snapshots = Enumerable.Range(1, 5).SelectMany(d => new[]
        {
            Make(new DateTimeOffset(2024, 6, d, 2, 0, 0, TimeSpan.Zero), "app"),
            Make(new DateTimeOffset(2024, 6, d, 3, 0, 0, TimeSpan.Zero), "billing"),
        }).ToList();
        var plan = Evaluate(snapshots, time, new RetentionPolicy { KeepLast = 2 });
        Assert.Equal(["app", "billing"], plan.Kept.Where(d => d.Snapshot.Manifest.Time.Day == 5).Select(d => d.Group));
        Assert.Equal(2, plan.Kept.Count(d => d.Group == "app"));
        Assert.Equal(2, plan.Kept.Count(d => d.Group == "billing"));
    }

    [Fact]
    public void Safety_KeepsTheNewestSnapshot_WhenBackupsStopped_AndReportsThatTheRulesKeepNothing()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        time.Advance(TimeSpan.FromDays(40));
        var plan = Evaluate(snapshots, time, RetentionPolicy.Default);
        Assert.True(plan.RulesKeepNothing);
        var kept = Assert.Single(plan.Kept);
        Assert.Equal(snapshots[^1].Id, kept.Snapshot.Id);
        Assert.Equal([RetentionEvaluator.NewestReason, "kept although older than max-age 30d"], kept.Reasons);
    }

    [Fact]
    public void Safety_KeepsTheNewestSnapshotWhoseLatestVerificationAndDrillPassed()
    {
        var (snapshots, time) = TwoYearsOfDailyBackups(TimeSpan.FromHours(2));
        var at = time.GetUtcNow();
        ProofRecord Proof(Snapshot s, string kind, bool passed, int daysAgo) => new()
        {
            Snapshot = s.Id.ToString(), Kind = kind, Passed = passed, Time = at - TimeSpan.FromDays(daysAgo),
        };
        var verifiedOld = snapshots[^100];
        var verifiedThenDamaged = snapshots[^60];
        var drilled = snapshots[^200];
        var failedDrill = snapshots[^50];
        var proofs = new List<ProofRecord>
        {
            Proof(verifiedOld, ProofRecord.Verify, true, 99),
            Proof(verifiedThenDamaged, ProofRecord.Verify, true, 59),
            Proof(verifiedThenDamaged, ProofRecord.Verify, false, 1), // its most recent verification failed
            Proof(drilled, ProofRecord.Drill, true, 199),
            Proof(failedDrill, ProofRecord.Drill, false, 49),
        };
        var plan = Evaluate(snapshots, time, RetentionPolicy.Default, proofs);
        Assert.Equal(32, plan.Kept.Count());
        Assert.Equal([RetentionEvaluator.NewestVerifiedReason, "kept although older than max-age 30d"],
            plan.Decisions.Single(d => d.Snapshot.Id == verifiedOld.Id).Reasons);
        Assert.Equal([RetentionEvaluator.NewestDrilledReason, "kept although older than max-age 30d"],
            plan.Decisions.Single(d => d.Snapshot.Id == drilled.Id).Reasons);
        Assert.False(plan.Decisions.Single(d => d.Snapshot.Id == verifiedThenDamaged.Id).Keep);
        Assert.False(plan.Decisions.Single(d => d.Snapshot.Id == failedDrill.Id).Keep);
    }

    [Fact]
    public void EmptyPolicy_IsEmpty_AndDefaultIsNot()
    {
        Assert.True(new RetentionPolicy().IsEmpty);
        Assert.False(RetentionPolicy.Default.IsEmpty);
        Assert.False(new RetentionPolicy { KeepTags = ["x"] }.IsEmpty);
    }
}
