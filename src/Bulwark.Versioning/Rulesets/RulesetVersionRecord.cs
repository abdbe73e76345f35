namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// A registered ruleset version, stored as an immutable event (events/rulesets/NAME/versions/) with its content
/// inline, so that the repository alone holds the whole registry.
/// </summary>
public sealed record RulesetVersionRecord
{
    public required string Ruleset { get; init; }
    /// <summary>Semantic version 2.0, e.g. "1.4.0" or "1.5.0-rc.1".</summary>
    public required string Version { get; init; }
    /// <summary>The version registered before this one, or null for the first.</summary>
    public string? Parent { get; init; }
    /// <summary>SHA-256 of <see cref="Content"/>, lower-case hex.</summary>
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public required string Author { get; init; }
    public required string Description { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Host { get; init; }
    /// <summary>Position among the ruleset's versions (1, 2, …): the order of registration.</summary>
    public required long Sequence { get; init; }
    /// <summary>The file it was registered from.</summary>
    public string? Source { get; init; }
    /// <summary>The exact bytes of the file.</summary>
    public required byte[] Content { get; init; }
}
