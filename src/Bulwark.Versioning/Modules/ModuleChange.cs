namespace Bulwark.Versioning.Modules;

/// <summary>One module compared with the previous snapshot. <see cref="IsProblem"/> fails 'bulwark modules check'.</summary>
public sealed record ModuleChange
{
    public required string Path { get; init; }
    public required ModuleChangeKind Kind { get; init; }
    public string? PreviousVersion { get; init; }
    public string? Version { get; init; }
    public string? PreviousSha256 { get; init; }
    public string? Sha256 { get; init; }

    public bool IsProblem => Kind is ModuleChangeKind.Conflict or ModuleChangeKind.Downgraded or ModuleChangeKind.NoVersion;

    /// <summary>One line for people, e.g. "1.2.0 -> 1.3.0" or "content changed but version 1.2.0 did not".</summary>
    public string Describe() => Kind switch
    {
        ModuleChangeKind.Unchanged => $"{Version} (unchanged)",
        ModuleChangeKind.Added => $"{Version ?? "no version"} (new)",
        ModuleChangeKind.Removed => $"removed (was {PreviousVersion ?? "no version"})",
        ModuleChangeKind.Upgraded => $"{PreviousVersion} -> {Version}",
        ModuleChangeKind.Relabelled => $"{PreviousVersion} -> {Version} (same content)",
        ModuleChangeKind.Conflict => $"content changed but version {Version} did not (version conflict)",
        ModuleChangeKind.Downgraded => $"version went backwards: {PreviousVersion} -> {Version}",
        ModuleChangeKind.NoVersion => Version is null ? "no version in its header" : $"'{Version}' is not a version",
        _ => Kind.ToString(),
    };
}
