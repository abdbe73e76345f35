namespace Bulwark.Operations.Status;

/// <summary>What cleanup would do now.</summary>
public sealed record RetentionStatus(string Policy, int Kept, int WouldRemove, DateTimeOffset? OldestKept, string? Error);
