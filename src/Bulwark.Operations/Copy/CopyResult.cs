namespace Bulwark.Operations.Copy;

/// <summary>What a copy did.</summary>
public sealed record CopyResult
{
    /// <summary>The destination, safe to print.</summary>
    public required string Destination { get; init; }
    /// <summary>Snapshots copied: short id here → short id in the destination.</summary>
    public required IReadOnlyList<CopiedSnapshot> Copied { get; init; }
    /// <summary>Short ids of snapshots the destination already had.</summary>
    public required IReadOnlyList<string> AlreadyThere { get; init; }
    /// <summary>Chunks sent to the destination, and their stored size.</summary>
    public required int ChunksSent { get; init; }
    public required long BytesSent { get; init; }
    /// <summary>Chunks the destination already held.</summary>
    public required int ChunksReused { get; init; }
    /// <summary>Ruleset registry records the destination lacked.</summary>
    public int EventsCopied { get; init; }
    /// <summary>Restore drills of copied snapshots brought to their copies.</summary>
    public int DrillsCopied { get; init; }
}

/// <summary>One copied snapshot: its short id in the source and in the destination.</summary>
public sealed record CopiedSnapshot(string Source, string Destination);
