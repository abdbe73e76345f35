using System.Text.Json.Serialization;

namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// A registered ruleset version, stored as an immutable event (events/rulesets/NAME/versions/) with its content
/// inline, so that the repository alone holds the whole registry.
/// </summary>
public sealed record RulesetVersionRecord : RulesetVersion
{
    [JsonPropertyOrder(1)]
    public string? Host { get; init; }
    /// <summary>Position among the ruleset's versions (1, 2, …): the order of registration.</summary>
    [JsonPropertyOrder(1)]
    public required long Sequence { get; init; }
    /// <summary>The file it was registered from.</summary>
    [JsonPropertyOrder(1)]
    public string? Source { get; init; }
    /// <summary>The exact bytes of the file (<see cref="RulesetVersion.Sha256"/> is their hash).</summary>
    [JsonPropertyOrder(1)]
    public required byte[] Content { get; init; }
}
