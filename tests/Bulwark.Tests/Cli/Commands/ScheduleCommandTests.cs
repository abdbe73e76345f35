using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>'bulwark schedule': crontab blocks, systemd units, show and run, through the real program.</summary>
public sealed class ScheduleCommandTests : IDisposable
{
    private const string OtherLines = "MAILTO=ops@example.com\n# nightly report\n15 6 * * * /usr/local/bin/report --all\n";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    /// <summary>The job states of the configuration in the test's folder, as the program finds them.</summary>
    private JobStateStore States() =>
        JobStateStore.For(new Bulwark.Operations.BulwarkContext(ConfigLoader.Load(null, _directory.Path, _ => null)));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string ConfigPath => _directory.Combine("bulwark.yml");
    private string Crontab => _directory.Combine("crontab");

    private CliRunner Cli(string schedule = "")
    {
        File.WriteAllText(ConfigPath, $"repository: ./repo\nstate: ./state\nschedule:\n  time-zone: UTC\n{schedule}");
        File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite); // else 'permissions' warns
        return new CliRunner(_directory.Path).With(ScheduleInstaller.CrontabFileVariable, Crontab);
    }

    [Fact]
    public async Task InstallCron_AddsAMarkedBlock_LeavesOtherLines_AndIsIdempotent()
    {
        await File.WriteAllTextAsync(Crontab, OtherLines, Ct);
        var cli = Cli();
        var first = await cli.RunAsync("schedule", "install", "--cron");
        Assert.True(first.ExitCode == 0, first.ToString());
        var text = await File.ReadAllTextAsync(Crontab, Ct);
        Assert.StartsWith(OtherLines, text);
        Assert.Contains($"# BEGIN bulwark {ConfigPath}\n", text);
        Assert.EndsWith("# END bulwark\n", text);
        foreach (var (job, cron) in new[] { ("backup", "0 2 * * *"), ("check", "0 9 * * 1"), ("cleanup", "0 3 * * 0"), ("drill", "0 4 * * 6") })
            Assert.Matches($"(?m)^{Regex.Escape(cron)} cd .* --config {Regex.Escape(ConfigPath)} schedule run {job} --scheduled >> .*schedule.log 2>&1$", text);

        var again = await cli.RunAsync("schedule", "install", "--cron");
        Assert.Contains("already up to date", again.Stdout);
        Assert.Equal(text, await File.ReadAllTextAsync(Crontab, Ct));

        // Changed schedules replace the block in place; a job set to off leaves it.
        cli = Cli("  backup: \"30 1 * * *\"\n  cleanup: off\n");
        await File.AppendAllTextAsync(Crontab, "0 0 1 * * /usr/bin/monthly\n", Ct);
        Assert.Equal(0, (await cli.RunAsync("schedule", "install", "--cron")).ExitCode);
        text = await File.ReadAllTextAsync(Crontab, Ct);
        Assert.Contains("30 1 * * * cd ", text);
        Assert.DoesNotContain("0 2 * * * cd ", text);
        Assert.DoesNotContain("schedule run cleanup", text);
        Assert.Single(Regex.Matches(text, "# BEGIN bulwark"));
        Assert.EndsWith("0 0 1 * * /usr/bin/monthly\n", text);

        var removed = await cli.RunAsync("schedule", "uninstall", "--cron");
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal(OtherLines + "0 0 1 * * /usr/bin/monthly\n", await File.ReadAllTextAsync(Crontab, Ct));
    }

    [Fact]
    public async Task InstallCron_Print_ChangesNothing_AndTwoConfigurationsKeepTheirOwnBlocks()
    {
        await File.WriteAllTextAsync(Crontab, OtherLines, Ct);
        var cli = Cli();
        var printed = await cli.RunAsync("schedule", "install", "--cron", "--print");
        Assert.Equal(0, printed.ExitCode);
        Assert.Contains("schedule run backup --scheduled", printed.Stdout);
        Assert.Equal(OtherLines, await File.ReadAllTextAsync(Crontab, Ct));

        Directory.CreateDirectory(_directory.Combine("other"));
        var otherConfig = _directory.Combine("other", "bulwark.yml");
        await File.WriteAllTextAsync(otherConfig, "repository: ./repo\nschedule:\n  check: off\n  cleanup: off\n  drill: off\n", Ct);
        Assert.Equal(0, (await cli.RunAsync("schedule", "install", "--cron")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("--config", otherConfig, "schedule", "install", "--cron")).ExitCode);
        var text = await File.ReadAllTextAsync(Crontab, Ct);
        Assert.Equal(2, Regex.Matches(text, "# BEGIN bulwark").Count);
        Assert.Equal(0, (await cli.RunAsync("--config", otherConfig, "schedule", "uninstall", "--cron")).ExitCode);
        text = await File.ReadAllTextAsync(Crontab, Ct);
        Assert.Contains($"# BEGIN bulwark {ConfigPath}", text);
        Assert.DoesNotContain(otherConfig, text);
    }

    [Fact]
    public async Task InstallCron_RefusesWhatCronCannotRead()
    {
        var cli = Cli("  cleanup: \"0 3 L * *\"\n");
        var result = await cli.RunAsync("schedule", "install", "--cron");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("'schedule.cleanup: 0 3 L * *' cannot be written to a crontab", result.Stderr);
        Assert.Contains("--systemd", result.Stderr);
        Assert.False(File.Exists(Crontab));
    }

    [Fact]
    public async Task InstallSystemd_WritesAServiceAndATimerPerJob_AndRemovesJobsTurnedOff()
    {
        var units = _directory.Combine("units");
        var cli = Cli("  time-zone: Europe/Berlin\n".Replace("  time-zone: Europe/Berlin\n", "") + "  check: off\n");
        File.WriteAllText(ConfigPath, "repository: ./repo\nstate: ./state\nschedule:\n  time-zone: Europe/Berlin\n  check: off\n");
        var result = await cli.RunAsync("schedule", "install", "--systemd", "--unit-dir", units);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("systemctl --user enable --now bulwark-backup.timer bulwark-cleanup.timer bulwark-drill.timer", result.Stdout);
        Assert.Equal(["bulwark-backup.service", "bulwark-backup.timer", "bulwark-cleanup.service", "bulwark-cleanup.timer", "bulwark-drill.service", "bulwark-drill.timer"],
            Directory.GetFiles(units).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        var timer = await File.ReadAllTextAsync(Path.Combine(units, "bulwark-backup.timer"), Ct);
        Assert.Contains("OnCalendar=*-*-* 02:00:00 Europe/Berlin\n", timer);
        Assert.Contains("Persistent=true\n", timer);
        var service = await File.ReadAllTextAsync(Path.Combine(units, "bulwark-backup.service"), Ct);
        Assert.Contains("Type=oneshot\n", service);
        Assert.Matches($"ExecStart=.* --config {Regex.Escape(ConfigPath)} schedule run backup --scheduled\n", service);
        Assert.Contains("Sat *-*-* 04:00:00 Europe/Berlin", await File.ReadAllTextAsync(Path.Combine(units, "bulwark-drill.timer"), Ct));

        Assert.Contains("already up to date", (await cli.RunAsync("schedule", "install", "--systemd", "--unit-dir", units)).Stdout);
        File.WriteAllText(ConfigPath, "repository: ./repo\nstate: ./state\nschedule:\n  time-zone: Europe/Berlin\n  check: off\n  drill: off\n");
        var after = await cli.RunAsync("schedule", "install", "--systemd", "--unit-dir", units);
        Assert.Contains("removed ", after.Stdout);
        Assert.False(File.Exists(Path.Combine(units, "bulwark-drill.timer")));
        Assert.Equal(0, (await cli.RunAsync("schedule", "uninstall", "--systemd", "--unit-dir", units)).ExitCode);
        Assert.Empty(Directory.GetFiles(units));
    }

    /// <summary>systemd itself computes the next runs of the converted OnCalendar= values: they are the cron expression's.</summary>
    [Theory]
    [InlineData("0 2 * * *")]
    [InlineData("30 */6 * * *")]
    [InlineData("0 9 * * 1-5")]
    [InlineData("15 3 1,15 * *")]
    [InlineData("0 4 * * sun")]
    [InlineData("0 2 * * 0-3")]
    [InlineData("0 2 * * 0-6")]
    [InlineData("0 2 * * 5-0")]
    [InlineData("0 0 1 jan-jun *")]
    [InlineData("10-40/10 5 * * *")]
    [InlineData("@weekly")]
    [InlineData("30 0 12 * * *")]
    public async Task OnCalendar_FiresWhenTheCronExpressionDoes(string expression)
    {
        if (!File.Exists("/usr/bin/systemd-analyze"))
            Assert.Skip("systemd-analyze is not installed");
        Assert.True(JobSchedule.TryParse(expression, out var cron, out _));
        var job = new ScheduledJob("backup", expression, cron!);
        var schedule = new JobSchedule([job], TimeZoneInfo.Utc, true);
        var systemd = new List<DateTimeOffset>();
        var now = DateTimeOffset.UtcNow;
        foreach (var calendar in SystemdUnits.ToOnCalendar(job))
        {
            var info = new ProcessStartInfo("systemd-analyze") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "calendar", "--iterations=6", calendar + " UTC" })
                info.ArgumentList.Add(a);
            info.Environment["TZ"] = "UTC";
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync(Ct);
            await process.WaitForExitAsync(Ct);
            Assert.True(process.ExitCode == 0, $"{calendar}: {await process.StandardError.ReadToEndAsync(Ct)}");
            foreach (Match m in Regex.Matches(output, @"(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC"))
                systemd.Add(DateTimeOffset.ParseExact(m.Groups[1].Value + "Z", "yyyy-MM-dd HH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
        }
        var expected = new List<DateTimeOffset>();
        for (var t = schedule.NextAfter(job, now); t is { } x && expected.Count < 6; t = schedule.NextAfter(job, x))
            expected.Add(x);
        Assert.Equal(expected, systemd.Distinct().Order().Take(6));
    }

    [Fact]
    public async Task Show_PrintsTheNextRuns_AndTheLastOnes()
    {
        var cli = Cli("  cleanup: off\n");
        var show = await cli.RunAsync("schedule", "show", "--next", "2");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("backup", show.Stdout);
        Assert.Contains("0 9 * * 1", show.Stdout);
        Assert.Contains("off: cleanup", show.Stdout);
        var json = JsonDocument.Parse((await cli.RunAsync("schedule", "show", "--json", "--next", "3")).Stdout).RootElement;
        Assert.Equal("UTC", json.GetProperty("timeZone").GetString());
        var backup = json.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("job").GetString() == "backup");
        var next = backup.GetProperty("next").EnumerateArray().Select(n => n.GetDateTimeOffset()).ToList();
        Assert.Equal(3, next.Count);
        Assert.All(next, n => Assert.Equal(new TimeSpan(2, 0, 0), n.ToUniversalTime().TimeOfDay));
    }

    [Fact]
    public async Task Run_IsTurnedAway_WhileAnotherProcessRunsTheSameJob()
    {
        var cli = Cli();
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        using (var held = States().TryLock("check", DateTimeOffset.UtcNow, out _))
        {
            Assert.NotNull(held);
            var refused = await cli.RunAsync("schedule", "run", "check");
            Assert.True(refused.ExitCode == 4, refused.ToString());
            Assert.Contains("still running", refused.Stderr);
        }
        var run = await cli.RunAsync("schedule", "run", "check", "--scheduled");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("check: ok: CRITICAL: 1 problem", run.Stdout);
        var state = States().Read("check")!;
        Assert.Equal("ok", state.LastOutcome);
        Assert.Equal("schedule", state.LastTrigger);
        Assert.Contains("ok: CRITICAL", (await cli.RunAsync("schedule", "show")).Stdout);
    }

    [Fact]
    public async Task Run_AFailingJob_ExitsWithItsErrorsCode_AndRemembersIt()
    {
        var cli = Cli();
        var result = await cli.RunAsync("schedule", "run", "cleanup");
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("cleanup failed: there is no Bulwark repository", result.Stderr);
        var state = States().Read("cleanup")!;
        Assert.Equal("failed", state.LastOutcome);
        Assert.Equal(1, state.ConsecutiveFailures);
    }

    [Fact]
    public async Task Run_WithAStateFolderThatCannotBeWritten_FailsInOneLine()
    {
        var cli = Cli();
        Directory.CreateDirectory(_directory.Combine("state"));
        await File.WriteAllTextAsync(_directory.Combine("state", "jobs"), "not a folder", Ct);
        var result = await cli.RunAsync("schedule", "run", "cleanup");
        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("cannot write the job state in", result.Stderr);
        Assert.Contains("state:", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
