namespace Bulwark.Operations.Copy;

/// <summary>Which snapshots to copy where.</summary>
public sealed record CopyRequest
{
    /// <summary>The destination repository (a folder, s3://…, azure://…), which must exist.</summary>
    public required string To { get; init; }

    /// <summary>"latest", id prefixes or full ids; empty copies every snapshot.</summary>
    public IReadOnlyList<string> Snapshots { get; init; } = [];
}
