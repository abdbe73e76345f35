namespace Bulwark.Operations.Status;

/// <summary>What retention does with one snapshot now: kept (and by which rules) or going (and why).</summary>
public sealed record RetentionDecision(string Snapshot, DateTimeOffset Time, string Group, bool Keep, IReadOnlyList<string> Reasons);
