namespace Bulwark.Operations.Status;

/// <summary>One restore drill: when, of which snapshot, whether the data matched, and how long the restore took.</summary>
public sealed record DrillStatus(string Snapshot, DateTimeOffset Time, bool Passed, double? RestoreSeconds, string? Summary);
