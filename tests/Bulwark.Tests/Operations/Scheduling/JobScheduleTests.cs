using Bulwark.Operations.Configuration;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Scheduling;

public sealed class JobScheduleTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static JobSchedule Schedule(string zone, string? backup = "0 2 * * *", string? check = "off", string? cleanup = "off") =>
        JobSchedule.FromConfig(new ScheduleConfig { TimeZone = zone, Backup = backup, Check = check, Cleanup = cleanup, Drill = "off" }, TimeProvider.System);

    [Fact]
    public void Defaults_AreNightlyBackup_WeeklyCheckOnMonday_WeeklyCleanupOnSunday()
    {
        var schedule = JobSchedule.FromConfig(new ScheduleConfig { TimeZone = "UTC" }, TimeProvider.System);
        var from = new DateTimeOffset(2026, 3, 11, 12, 0, 0, TimeSpan.Zero); // a Wednesday
        Assert.Equal(new DateTimeOffset(2026, 3, 12, 2, 0, 0, TimeSpan.Zero), schedule.NextAfter(schedule.Find("backup")!, from));
        Assert.Equal(new DateTimeOffset(2026, 3, 16, 9, 0, 0, TimeSpan.Zero), schedule.NextAfter(schedule.Find("check")!, from));
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 3, 0, 0, TimeSpan.Zero), schedule.NextAfter(schedule.Find("cleanup")!, from));
        Assert.Equal(new DateTimeOffset(2026, 3, 14, 4, 0, 0, TimeSpan.Zero), schedule.NextAfter(schedule.Find("drill")!, from));
        Assert.True(schedule.CatchUp);
    }

    [Fact]
    public void NextRun_IsInTheScheduleTimeZone_AcrossDaylightSavingChanges()
    {
        var schedule = Schedule("Europe/Berlin", backup: "30 2 * * *");
        var job = schedule.Find("backup")!;
        // 29 March 2026: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist: the run comes at the jump (01:00 UTC).
        var spring = schedule.NextAfter(job, new DateTimeOffset(2026, 3, 28, 12, 0, 0, TimeSpan.Zero))!.Value;
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero), spring.ToUniversalTime());
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero), schedule.NextAfter(job, spring)!.Value.ToUniversalTime());
        // 25 October 2026: 02:30 happens twice (CEST, then CET); the job runs once that day.
        var day = new DateTimeOffset(2026, 10, 24, 22, 0, 0, TimeSpan.Zero);
        var runs = new List<DateTimeOffset>();
        for (var t = schedule.NextAfter(job, day); t is { } x && x < day.AddHours(24); t = schedule.NextAfter(job, x))
            runs.Add(x);
        Assert.Single(runs);
    }

    [Fact]
    public void Missed_IsTheFirstRunDueSinceTheLastOne_OrNone()
    {
        var schedule = Schedule("UTC");
        var job = schedule.Find("backup")!;
        var lastRun = new DateTimeOffset(2026, 3, 9, 2, 0, 5, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2026, 3, 10, 2, 0, 0, TimeSpan.Zero), schedule.Missed(job, lastRun, lastRun.AddDays(3)));
        Assert.Null(schedule.Missed(job, lastRun, lastRun.AddHours(20)));
    }

    [Theory]
    [InlineData("0 2 * *", "has 4 fields")]
    [InlineData("0 25 * * *", "not a cron expression")]
    [InlineData("every night", "has 2 fields")]
    [InlineData("0 12 13 * 5", "restricts both the day of month and the day of week")]
    public void BadExpressions_AreRefused_WithAReason(string expression, string reason)
    {
        Assert.False(JobSchedule.TryParse(expression, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("schedule:\n  backup: \"0 25 * * *\"\n", "bulwark.yml:2: 'schedule.backup'")]
    [InlineData("schedule:\n  time-zone: Mars/Olympus\n", "bulwark.yml:2: 'schedule.time-zone': unknown time zone")]
    [InlineData("check:\n  backup-age-warning: 3days\n", "bulwark.yml:2: 'check.backup-age-warning'")]
    [InlineData("check:\n  backup-age-warning: 2d\n  backup-age-critical: 1d\n", "bulwark.yml:3: 'check.backup-age-critical'")]
    [InlineData("check:\n  disk-free-warning: lots\n", "bulwark.yml:2: 'check.disk-free-warning'")]
    [InlineData("check:\n  size-window: 2\n", "bulwark.yml:2: 'check.size-window'")]
    [InlineData("daemon:\n  listen: localhost\n", "bulwark.yml:2: 'daemon.listen'")]
    [InlineData("alerts:\n  webhook: ftp://example.com/x\n", "bulwark.yml:2: 'alerts.webhook'")]
    [InlineData("alerts:\n  min-status: info\n", "bulwark.yml:2: 'alerts.min-status'")]
    public void ConfigErrors_NameTheKeyAndLine(string yaml, string expected)
    {
        File.WriteAllText(_directory.Combine("bulwark.yml"), yaml);
        var e = Assert.Throws<BulwarkException>(() => ConfigLoader.Load(null, _directory.Path, _ => null));
        Assert.Equal(ErrorKind.Configuration, e.Kind);
        Assert.Contains(expected, e.Message);
        Assert.NotNull(e.Advice);
    }

    [Fact]
    public void Off_DisablesAJob_AndEnvironmentOverridesWork()
    {
        File.WriteAllText(_directory.Combine("bulwark.yml"), "schedule:\n  cleanup: off\n");
        var config = ConfigLoader.Load(null, _directory.Path, name => name == "BULWARK_SCHEDULE_BACKUP" ? "15 4 * * *" : null);
        var schedule = JobSchedule.FromConfig(config.Config.Schedule, new FakeTimeProvider());
        Assert.Equal(["backup", "check", "drill"], schedule.Jobs.Select(j => j.Name));
        Assert.Equal("15 4 * * *", schedule.Find("backup")!.Expression);
    }
}
