using Bulwark.Operations;
using Bulwark.Operations.Health;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Health;

/// <summary>The runner of the health checks: order, a check that throws, cancellation.</summary>
public sealed class HealthCheckRunnerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(Now);

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HealthCheckContext Context(Exception? snapshotsError = null) => new()
    {
        Bulwark = TestConfig.Context(_directory, null, _time),
        Request = new HealthCheckRequest(),
        Now = Now,
        SnapshotsError = snapshotsError,
    };

    /// <summary>A check whose outcome is given: a finding, nothing, or an exception (faults no real check gives on demand).</summary>
    private sealed class GivenCheck(string name, Func<HealthFinding?> outcome) : IHealthCheck
    {
        public string Name => name;

        public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
            Task.FromResult(outcome());
    }

    private static GivenCheck Throwing(string name, Exception e) => new(name, () => throw e);

    [Fact]
    public void CheckNames_AreTheNamesThatOutputAndAlertsCarry()
    {
        // JSON, the Nagios line, metric labels and alert keys carry these names: a rename breaks monitoring.
        Assert.Equal(
            ["repository", "backup-age", "integrity", "size", "locks", "drill", "rulesets", "modules", "operations", "disk", "permissions",
             "wal-age", "wal-gaps", "wal-push"],
            HealthCheckNames.All);
        Assert.Equal(HealthCheckNames.All.Skip(1), HealthCheckRunner.AllChecks.Select(c => c.Name));
    }

    [Fact]
    public async Task CheckThatThrows_GivesItsOwnFinding_AndTheOthersStillRun()
    {
        var checks = new IHealthCheck[]
        {
            Throwing("bug", new InvalidOperationException("boom")),
            Throwing("damaged", new BulwarkException(ErrorKind.Integrity, "chunk chunks/ab/abcd is damaged")),
            Throwing("unreachable", new BulwarkException(ErrorKind.StorageUnavailable, "storage did not answer", "check the network")),
            Throwing("misconfigured", new BulwarkException(ErrorKind.Configuration, "modules.paths is wrong", "fix bulwark.yml")),
            new GivenCheck("silent", () => null),
            new GivenCheck("fine", () => new HealthFinding { Check = "fine", Status = HealthStatus.Ok, Summary = "all good" }),
        };

        var findings = await new HealthCheckRunner(checks).RunAsync(Context(), Ct);

        Assert.Equal(["bug", "damaged", "unreachable", "misconfigured", "fine"], findings.Select(f => f.Check));
        Assert.Equal(
            [
                (HealthStatus.Unknown, "could not check: InvalidOperationException: boom", "run again with --verbose, and report it if it persists"),
                (HealthStatus.Critical, "chunk chunks/ab/abcd is damaged", "run 'bulwark verify' to see what is damaged"),
                (HealthStatus.Critical, "storage did not answer", "check the network"),
                (HealthStatus.Unknown, "could not check: modules.paths is wrong", "fix bulwark.yml"),
                (HealthStatus.Ok, "all good", null),
            ],
            findings.Select(f => (f.Status, f.Summary, f.Advice)));
    }

    [Fact]
    public async Task Cancellation_EndsTheRun_InsteadOfBecomingAFinding()
    {
        var ran = false;
        var checks = new IHealthCheck[]
        {
            Throwing("cancelled", new OperationCanceledException()),
            new GivenCheck("after", () => { ran = true; return null; }),
        };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new HealthCheckRunner(checks).RunAsync(Context(), Ct));
        Assert.False(ran);
    }

    [Fact]
    public async Task SnapshotListingThatFailed_IsTheBackupAgeFinding_AndTheChecksThatNeedSnapshotsDoNotRun()
    {
        var error = new BulwarkException(ErrorKind.StorageUnavailable, "listing snapshots/ failed: connection refused", "check the endpoint");
        var findings = await new HealthCheckRunner().RunAsync(Context(error), Ct);

        var age = Assert.Single(findings, f => f.Check == HealthCheckNames.BackupAge);
        Assert.Equal((HealthStatus.Critical, error.Message, error.Advice), (age.Status, age.Summary, age.Advice));
        Assert.DoesNotContain(findings, f => f.Check is HealthCheckNames.Integrity or HealthCheckNames.Size or HealthCheckNames.Locks);
        Assert.Contains(findings, f => f.Check == HealthCheckNames.Operations);
        Assert.Contains(findings, f => f.Check == HealthCheckNames.Disk);
    }
}
