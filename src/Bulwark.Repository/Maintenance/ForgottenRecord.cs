namespace Bulwark.Repository.Maintenance;

/// <summary>
/// What one cleanup removed, written before it removes anything (forgotten/TIME-ID): the snapshots, and the chunks
/// they referenced that no other snapshot referenced then. While an operation that may have read those manifests
/// runs, later cleanups keep these chunks (see <see cref="GarbageCollector"/>).
/// </summary>
public sealed record ForgottenRecord
{
    public required DateTimeOffset Time { get; init; }
    public required string Host { get; init; }
    /// <summary>Full ids of the removed snapshots.</summary>
    public required IReadOnlyList<string> Snapshots { get; init; }
    /// <summary>Chunk ids (hex) only the removed snapshots referenced.</summary>
    public required IReadOnlyList<string> Chunks { get; init; }
}
