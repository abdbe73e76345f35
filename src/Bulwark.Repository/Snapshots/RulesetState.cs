namespace Bulwark.Repository.Snapshots;

/// <summary>Where a ruleset's registry stood when a snapshot was taken (the registry itself lives in events/).</summary>
public sealed record RulesetState
{
    public required string Name { get; init; }
    /// <summary>The most recently registered version.</summary>
    public string? Latest { get; init; }
    /// <summary>Number of registered versions.</summary>
    public int Versions { get; init; }
    /// <summary>Environment → active version.</summary>
    public IReadOnlyDictionary<string, string> Active { get; init; } = new Dictionary<string, string>();
}
