using Bulwark.Crash;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Crash;

/// <summary>
/// The short round of the crash harness (tools/crash; the full run is 'tools/crash/run --full'): kill -9 of the real
/// program at seeded random moments of backup, cleanup, copy, ruleset activate and restore --files-to, and of pg_dump
/// under a backup, on a local folder. The seed is random and printed (BULWARK_CRASH_SEED sets it); a failure names
/// the seed, operation, trial and invariant, and 'tools/crash/run --seed N --op OP --backend local' repeats it.
/// </summary>
public sealed class CrashHarnessTests(PostgresFixture pg, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new("bulwark-crash");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task KillNineAtRandomMoments_OfEveryOperation_OnALocalFolder_BreaksNoInvariant()
    {
        var report = await CrashHarness.RunAsync(ShortRound(pg, _directory, output, BackendKind.Local, null),
            TestContext.Current.CancellationToken);
        AssertHeld(report, output);
    }

    /// <summary>6 trials per operation on a local folder (one measures, five kill), 3 on S3, 4 MB of data.</summary>
    internal static CrashOptions ShortRound(PostgresFixture pg, TempDirectory directory, ITestOutputHelper output,
        BackendKind backend, S3Target? s3) => new()
    {
        Seed = int.TryParse(Environment.GetEnvironmentVariable("BULWARK_CRASH_SEED"), out var seed) ? seed : Random.Shared.Next(1, 1_000_000),
        WorkDirectory = directory.Path,
        Postgres = pg.Server,
        S3 = s3,
        ProgramPath = CliRunner.ProgramPath,
        Backends = [backend],
        LocalTrials = 6,
        S3Trials = 3,
        DataMegabytes = 4,
        Log = new TestOutputWriter(output),
    };

    internal static void AssertHeld(CrashReport report, ITestOutputHelper output)
    {
        output.WriteLine(report.Table());
        // Every operation ran its trials (a scenario whose setup failed would leave its row empty).
        Assert.All(report.Rows, row => Assert.True(row.Trials > 1, $"{row.Operation}: {row.Trials} trial(s)"));
        Assert.True(report.Ok, $"seed {report.Seed}:\n" + string.Join("\n", report.Failures) + "\n" + report.Table());
    }
}
