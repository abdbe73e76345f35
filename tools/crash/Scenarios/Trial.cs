using System.Globalization;

namespace Bulwark.Crash.Scenarios;

/// <summary>
/// One trial: run the command, kill it at a drawn moment (the first trial of each scenario measures instead), then
/// check the invariants. Collects what broke.
/// </summary>
public sealed class Trial(int index, double fraction)
{
    /// <summary>The number of the trial within its scenario; 0 measures the command's duration without a kill.</summary>
    public int Index { get; } = index;

    /// <summary>Where in the measured duration the kill lands, 0..1 (from the seeded generator).</summary>
    public double Fraction { get; } = fraction;

    public bool Measures => Index == 0;

    public DateTimeOffset Started { get; } = DateTimeOffset.UtcNow;

    public TrialOutcome Outcome { get; set; } = TrialOutcome.Completed;

    /// <summary>What was killed and when, for the log and failure reports.</summary>
    public string Kill { get; set; } = "no kill";

    public List<(string Invariant, string Detail)> Broken { get; } = [];

    /// <summary>Things worth a line in the log that are not failures (temporary files left by the kill, …).</summary>
    public List<string> Notes { get; } = [];

    public bool Held => Broken.Count == 0;

    public void Check(bool ok, string invariant, Func<string> detail)
    {
        if (!ok)
            Broken.Add((invariant, detail()));
    }

    public void Fail(string invariant, string detail) => Broken.Add((invariant, detail));

    public static string Seconds(TimeSpan time) => time.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
}

/// <summary>The names of the invariants a trial checks, as they appear in failure reports.</summary>
public static class Invariants
{
    /// <summary>A run that was not killed exits 0.</summary>
    public const string Completes = "a run that is not killed succeeds";

    /// <summary>Every snapshot listed before the trial (that the policy keeps) is still listed.</summary>
    public const string SnapshotsSurvive = "earlier snapshots survive";

    /// <summary>verify --read-data exits 0.</summary>
    public const string Verifies = "every snapshot verifies (verify --read-data)";

    /// <summary>No file is visible under its final name with content other than a whole version.</summary>
    public const string NoHalfWrittenFile = "no half-written file under its final name";

    /// <summary>The next run of the same command exits 0.</summary>
    public const string RetrySucceeds = "the next run of the same command succeeds";

    /// <summary>After the retry, the command's whole effect is there and nothing of the killed run is left.</summary>
    public const string RetryCompletes = "the retry completes the work and leaves nothing behind";

    /// <summary>After a cleanup, nothing is left that a cleanup should remove.</summary>
    public const string CleanupLeavesNothing = "a cleanup leaves nothing behind";

    /// <summary>A killed pg_dump fails the backup cleanly: not 0, one clear message, no snapshot.</summary>
    public const string PgDumpKillFailsCleanly = "a killed pg_dump fails the backup cleanly";

    /// <summary>The harness itself could not carry out a step.</summary>
    public const string Harness = "harness";
}
