namespace Bulwark.Operations.Drills;

/// <summary>The restored database differs from its backup; the report lists how.</summary>
public sealed class DrillFailedException : BulwarkException
{
    public DrillFailedException(DrillReport report)
        : base(ErrorKind.Integrity,
            $"restore drill of snapshot {report.Snapshot} found {report.Differences.Count} difference{(report.Differences.Count == 1 ? "" : "s")}: " +
            string.Join("; ", report.Differences.Take(3)),
            report.Kept
                ? $"inspect the scratch database {report.ScratchDatabase}; drill an older snapshot with 'bulwark test-restore ID'"
                : "run again with --keep to inspect the restored database; drill an older snapshot with 'bulwark test-restore ID'")
    {
        Report = report;
    }

    public DrillReport Report { get; }
}
