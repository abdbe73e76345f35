namespace Bulwark.Operations.Retention;

/// <summary>The event a cleanup writes before it removes snapshots: who removed what, by which policy.</summary>
public sealed record CleanupRecord
{
    public required DateTimeOffset Time { get; init; }
    public required string Host { get; init; }
    public required string Policy { get; init; }
    public required IReadOnlyList<string> Forgotten { get; init; }
    public required int Kept { get; init; }
}
