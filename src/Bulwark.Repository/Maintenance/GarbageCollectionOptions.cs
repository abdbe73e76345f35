namespace Bulwark.Repository.Maintenance;

/// <summary>How cautious garbage collection is.</summary>
public sealed record GarbageCollectionOptions
{
    /// <summary>An unreferenced chunk younger than this is never deleted.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How far the clocks of other hosts (lock times) and of the storage (object times) may be apart: chunk and lock
    /// times are compared with this margin in the safe direction.
    /// </summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Decide and count, but change nothing.</summary>
    public bool DryRun { get; init; }

    /// <summary>Temporary files of crashed local writers are removed when older than this (and the grace period).</summary>
    public static readonly TimeSpan TemporaryFileAge = TimeSpan.FromHours(1);
}
