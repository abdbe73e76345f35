namespace Bulwark.Operations.Status;

/// <summary>What cleanup would do now; <see cref="Snapshots"/> says it of each snapshot, oldest first.</summary>
public sealed record RetentionStatus(string Policy, int Kept, int WouldRemove, DateTimeOffset? OldestKept, string? Error,
    IReadOnlyList<RetentionDecision>? Snapshots = null);
