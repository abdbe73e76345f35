namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// What identifies and describes a registered ruleset version: shared by the stored record
/// (<see cref="RulesetVersionRecord"/>) and what the registry shows of it (<see cref="RulesetVersionInfo"/>). The
/// properties of those come after these in JSON (their <c>JsonPropertyOrder</c>), as they always have.
/// </summary>
public abstract record RulesetVersion
{
    public required string Ruleset { get; init; }
    /// <summary>Semantic version 2.0, e.g. "1.4.0" or "1.5.0-rc.1".</summary>
    public required string Version { get; init; }
    /// <summary>The version registered before this one, or null for the first.</summary>
    public string? Parent { get; init; }
    /// <summary>SHA-256 of the version's content, lower-case hex.</summary>
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public required string Author { get; init; }
    public required string Description { get; init; }
    public required DateTimeOffset Time { get; init; }
}
