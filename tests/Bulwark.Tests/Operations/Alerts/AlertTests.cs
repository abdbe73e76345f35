using System.Text.Json;
using Bulwark.Operations;
using Bulwark.Operations.Alerts;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Alerts;

/// <summary>Alerts to a real HTTP listener on 127.0.0.1 and to real shell commands.</summary>
public sealed class AlertTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly WebhookListener _listener = new();
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose()
    {
        _listener.Dispose();
        _directory.Dispose();
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private BulwarkContext Context(Action<AlertsConfig> alerts) =>
        TestConfig.Context(_directory, null, _time, c => alerts(c.Alerts));

    private static HealthReport Report(params (string Check, HealthStatus Status, string Summary)[] findings) => new()
    {
        Time = Now,
        Duration = TimeSpan.FromMilliseconds(5),
        Findings = findings.Select(f => new HealthFinding
        {
            Check = f.Check, Status = f.Status, Summary = f.Summary,
            Advice = f.Status == HealthStatus.Ok ? null : $"fix {f.Check}",
        }).ToList(),
    };

    private static JsonElement Json(string body) => JsonDocument.Parse(body).RootElement;

    [Fact]
    public async Task Webhook_GetsEachProblemOnce_AChangeAgain_AndTheRecoveryOnce()
    {
        var alerts = new AlertDispatcher(Context(a => a.Webhook = _listener.Url()));
        var warning = Report((HealthCheckNames.BackupAge, HealthStatus.Warning, "the last backup of app is 30 h old"), (HealthCheckNames.Disk, HealthStatus.Ok, "fine"));

        await alerts.NotifyCheckAsync(warning, Ct);
        var (path, type, body) = await _listener.NextAsync();
        Assert.Equal("/hook/T0KEN-abc123", path);
        Assert.StartsWith("application/json", type);
        var alert = Json(body);
        Assert.Equal("problem", alert.GetProperty("kind").GetString());
        Assert.Equal("WARNING", alert.GetProperty("status").GetString());
        var item = alert.GetProperty("items")[0];
        Assert.Equal("check:backup-age", item.GetProperty("key").GetString());
        Assert.Equal("new", item.GetProperty("change").GetString());
        Assert.Equal("the last backup of app is 30 h old", item.GetProperty("message").GetString());
        Assert.Equal("fix backup-age", item.GetProperty("advice").GetString());
        Assert.Equal(1, alert.GetProperty("items").GetArrayLength());

        // The same problem, worded a little differently an hour later: not sent again.
        Assert.Empty((await alerts.NotifyCheckAsync(Report((HealthCheckNames.BackupAge, HealthStatus.Warning, "the last backup of app is 31 h old")), Ct)).Sent);
        Assert.Empty(_listener.Requests);

        // Worse: sent, as changed.
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.BackupAge, HealthStatus.Critical, "the last backup of app is 51 h old")), Ct);
        alert = Json((await _listener.NextAsync()).Body);
        Assert.Equal("CRITICAL", alert.GetProperty("status").GetString());
        Assert.Equal("changed", alert.GetProperty("items")[0].GetProperty("change").GetString());

        // Resolved: announced once.
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.BackupAge, HealthStatus.Ok, "last backup 1 h ago")), Ct);
        alert = Json((await _listener.NextAsync()).Body);
        Assert.Equal("recovery", alert.GetProperty("kind").GetString());
        Assert.Equal("OK", alert.GetProperty("status").GetString());
        Assert.Equal("recovered", alert.GetProperty("items")[0].GetProperty("change").GetString());
        Assert.Empty((await alerts.NotifyCheckAsync(Report((HealthCheckNames.BackupAge, HealthStatus.Ok, "last backup 2 h ago")), Ct)).Sent);
        Assert.Empty(_listener.Requests);
    }

    [Fact]
    public async Task ACheckThatDidNotRun_DoesNotRecover()
    {
        var alerts = new AlertDispatcher(Context(a => a.Webhook = _listener.Url()));
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Integrity, HealthStatus.Critical, "chunk missing"), (HealthCheckNames.Disk, HealthStatus.Ok, "fine")), Ct);
        await _listener.NextAsync();
        // A quick check (the daemon's refresh) has no integrity finding: silence, not a recovery.
        Assert.Empty((await alerts.NotifyCheckAsync(Report((HealthCheckNames.Disk, HealthStatus.Ok, "fine")), Ct)).Sent);
        Assert.Empty(_listener.Requests);
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Integrity, HealthStatus.Ok, "complete"), (HealthCheckNames.Disk, HealthStatus.Ok, "fine")), Ct);
        Assert.Equal("recovery", Json((await _listener.NextAsync()).Body).GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Slack_GetsATextPayload_WithReasonAndAdvice()
    {
        var alerts = new AlertDispatcher(Context(a => a.SlackWebhook = _listener.Url("services/T1/B2/xyz")));
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Size, HealthStatus.Critical, "the newest backup is 99% smaller than <median>")), Ct);
        var payload = Json((await _listener.NextAsync()).Body);
        Assert.Equal(["text"], payload.EnumerateObject().Select(p => p.Name));
        var text = payload.GetProperty("text").GetString()!;
        Assert.StartsWith("*Bulwark CRITICAL on ", text);
        Assert.Contains("99% smaller than &lt;median&gt;", text);
        Assert.Contains("_what to do:_ fix size", text);
    }

    [Fact]
    public async Task AFailedDelivery_IsTriedAgainNextTime()
    {
        var alerts = new AlertDispatcher(Context(a => a.Webhook = _listener.Url()));
        var report = Report((HealthCheckNames.Locks, HealthStatus.Warning, "1 stale lock"));
        _listener.StatusCode = 500;
        var delivery = await alerts.NotifyCheckAsync(report, Ct);
        Assert.False(delivery.AllDelivered);
        Assert.Contains("answered 500", delivery.Sent.Single().Error);
        Assert.DoesNotContain("T0KEN", delivery.Sent.Single().Error);
        await _listener.NextAsync();

        _listener.StatusCode = 200;
        delivery = await alerts.NotifyCheckAsync(report, Ct);
        Assert.True(delivery.AllDelivered);
        Assert.Equal("new", Json((await _listener.NextAsync()).Body).GetProperty("items")[0].GetProperty("change").GetString());
        Assert.Empty((await alerts.NotifyCheckAsync(report, Ct)).Sent);
        Assert.Empty(_listener.Requests);
    }

    [Fact]
    public async Task AFailedScheduledJob_IsAnnounced_WithReasonAndAdvice_AndItsRecoveryOnce()
    {
        var context = Context(a => a.Webhook = _listener.Url());
        var fail = true;
        var runner = new JobRunner(context, null, new Dictionary<string, Func<CancellationToken, Task<JobBodyResult>>>
        {
            ["backup"] = _ => fail
                ? throw new BulwarkException(ErrorKind.SourceUnavailable, "cannot connect to db.example.com:5432: connection refused", "check that the server runs")
                : Task.FromResult(new JobBodyResult("snapshot 1234abcd")),
        });
        await runner.RunAsync("backup", "schedule", Ct);
        var alert = Json((await _listener.NextAsync()).Body);
        Assert.Equal("CRITICAL", alert.GetProperty("status").GetString());
        var item = alert.GetProperty("items")[0];
        Assert.Equal("job:backup", item.GetProperty("key").GetString());
        Assert.Equal("scheduled backup failed", item.GetProperty("title").GetString());
        Assert.Contains("connection refused", item.GetProperty("message").GetString());
        Assert.Equal("check that the server runs", item.GetProperty("advice").GetString());

        await runner.RunAsync("backup", "schedule", Ct); // alerts are delivered before it returns
        Assert.Empty(_listener.Requests);

        fail = false;
        await runner.RunAsync("backup", "schedule", Ct);
        alert = Json((await _listener.NextAsync()).Body);
        Assert.Equal("recovery", alert.GetProperty("kind").GetString());
        Assert.Equal("job:backup", alert.GetProperty("items")[0].GetProperty("key").GetString());
        await runner.RunAsync("backup", "schedule", Ct); // alerts are delivered before it returns
        Assert.Empty(_listener.Requests);
    }

    [Fact]
    public async Task Secrets_NeverReachAnAlert()
    {
        SecretRedactor.Register("s3cr3t-Pa55");
        var alerts = new AlertDispatcher(Context(a => a.Webhook = _listener.Url()));
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Repository, HealthStatus.Critical,
            "cannot open s3://bucket/x?secret_key=AKIAxyz: postgres://app:s3cr3t-Pa55@db/app password=s3cr3t-Pa55")), Ct);
        var body = (await _listener.NextAsync()).Body;
        Assert.DoesNotContain("s3cr3t-Pa55", body);
        Assert.DoesNotContain("AKIAxyz", body);
        Assert.DoesNotContain("T0KEN", body);
        Assert.Contains("***", body);
    }

    [Fact]
    public async Task RemindAfter_AnnouncesAPersistingProblemAgain()
    {
        var alerts = new AlertDispatcher(Context(a => { a.Webhook = _listener.Url(); a.RemindAfter = "12h"; }));
        var report = Report((HealthCheckNames.Drill, HealthStatus.Warning, "the last restore drill ran 9 d ago"));
        await alerts.NotifyCheckAsync(report, Ct);
        await _listener.NextAsync();
        _time.Advance(TimeSpan.FromHours(6));
        Assert.Empty((await alerts.NotifyCheckAsync(report, Ct)).Sent);
        Assert.Empty(_listener.Requests);
        _time.Advance(TimeSpan.FromHours(7));
        await alerts.NotifyCheckAsync(report, Ct);
        Assert.Equal("reminder", Json((await _listener.NextAsync()).Body).GetProperty("items")[0].GetProperty("change").GetString());
    }

    [Fact]
    public async Task MinStatusCritical_KeepsWarningsQuiet()
    {
        var alerts = new AlertDispatcher(Context(a => { a.Webhook = _listener.Url(); a.MinStatus = "critical"; }));
        Assert.Empty((await alerts.NotifyCheckAsync(Report((HealthCheckNames.Locks, HealthStatus.Warning, "1 stale lock")), Ct)).Sent);
        Assert.Empty(_listener.Requests);
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Locks, HealthStatus.Warning, "1 stale lock"), (HealthCheckNames.Integrity, HealthStatus.Critical, "chunk missing")), Ct);
        var alert = Json((await _listener.NextAsync()).Body);
        Assert.Equal(["check:integrity"], alert.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task CommandHooks_GetTheAlertInTheirEnvironmentAndOnStandardInput()
    {
        var failures = _directory.Combine("failures");
        var recoveries = _directory.Combine("recoveries");
        Directory.CreateDirectory(failures);
        Directory.CreateDirectory(recoveries);
        var alerts = new AlertDispatcher(Context(a =>
        {
            a.OnFailure = $"cat > {failures}/alert.json; printf '%s|%s' \"$BULWARK_ALERT_STATUS\" \"$BULWARK_ALERT_TITLE\" > {failures}/env.txt";
            a.OnRecovery = $"cat > {recoveries}/alert.json; printf '%s' \"$BULWARK_ALERT_TEXT\" > {recoveries}/text.txt";
        }));
        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Integrity, HealthStatus.Critical, "chunk chunks/ab/abcd is missing")), Ct);
        var env = await File.ReadAllTextAsync(Path.Combine(failures, "env.txt"), Ct);
        Assert.StartsWith("CRITICAL|Bulwark CRITICAL on ", env);
        Assert.Contains("check integrity", env);
        var alert = Json(await File.ReadAllTextAsync(Path.Combine(failures, "alert.json"), Ct));
        Assert.Equal("chunk chunks/ab/abcd is missing", alert.GetProperty("items")[0].GetProperty("message").GetString());
        Assert.False(File.Exists(Path.Combine(recoveries, "alert.json")));

        await alerts.NotifyCheckAsync(Report((HealthCheckNames.Integrity, HealthStatus.Ok, "complete")), Ct);
        var text = await File.ReadAllTextAsync(Path.Combine(recoveries, "text.txt"), Ct);
        Assert.Contains("RECOVERED check integrity", text);
    }

    [Fact]
    public async Task ACommandThatFails_IsAFailedDelivery_NamingItsError()
    {
        var alerts = new AlertDispatcher(Context(a => a.OnFailure = "echo 'pager service down' >&2; exit 3"));
        var delivery = await alerts.NotifyCheckAsync(Report((HealthCheckNames.Locks, HealthStatus.Warning, "1 stale lock")), Ct);
        Assert.Equal("the on-failure command exited with 3: pager service down", delivery.Sent.Single().Error);
    }

    [Fact]
    public async Task ACommandStillRunningAtTheTimeout_IsStopped_AndIsAFailedDelivery()
    {
        var pidFile = _directory.Combine("pid");
        var alerts = new AlertDispatcher(Context(a =>
        {
            a.OnFailure = $"echo $$ > {pidFile}.part && mv {pidFile}.part {pidFile}; exec sleep 600";
            a.Timeout = "20s";
        }));
        var delivering = alerts.NotifyCheckAsync(Report((HealthCheckNames.Locks, HealthStatus.Warning, "1 stale lock")), Ct);
        while (!File.Exists(pidFile))
            await Task.Delay(20, Ct);
        var pid = int.Parse((await File.ReadAllTextAsync(pidFile, Ct)).Trim());

        _time.Advance(TimeSpan.FromSeconds(21)); // the timeout runs on the context's clock
        var delivery = await delivering;

        Assert.Equal("the on-failure command did not finish within 20 s and was stopped", delivery.Sent.Single().Error);
        Assert.False(delivery.AllDelivered);
        Assert.Throws<ArgumentException>(() => System.Diagnostics.Process.GetProcessById(pid));
    }
}
