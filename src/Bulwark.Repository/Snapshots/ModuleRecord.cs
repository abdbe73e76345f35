namespace Bulwark.Repository.Snapshots;

/// <summary>A module file as a backup found it: the version in its header and the SHA-256 of its content.</summary>
public sealed record ModuleRecord
{
    /// <summary>The path as configured resolves it: relative to the configuration folder (or absolute without its leading '/').</summary>
    public required string Path { get; init; }
    /// <summary>The version its header declares, or null when no header line matched.</summary>
    public string? Version { get; init; }
    /// <summary>SHA-256 of the whole file, lower-case hex.</summary>
    public required string Sha256 { get; init; }
    public long Size { get; init; }
}
