namespace Bulwark.Repository.Snapshots;

/// <summary>
/// Evidence about a snapshot, stored as an immutable event (kind <see cref="RepositoryLayout.ProofEvents"/>): a verification that read
/// its data, or a restore drill. Retention spares the newest proven snapshot; list and check show the latest proof.
/// </summary>
public sealed record ProofRecord
{
    public const string Verify = "verify";
    public const string Drill = "drill";

    /// <summary>Full id of the snapshot.</summary>
    public required string Snapshot { get; init; }
    /// <summary><see cref="Verify"/> or <see cref="Drill"/>.</summary>
    public required string Kind { get; init; }
    public required bool Passed { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>What was found, e.g. the first differences of a failed drill.</summary>
    public string? Summary { get; init; }
    /// <summary>Facts of the proof (duration, bytes, tables compared, …).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }
}
