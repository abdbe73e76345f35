using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

namespace Bulwark.Versioning.Rulesets;

/// <summary>A registered version without its content, and the environments where it is active now.</summary>
public sealed record RulesetVersionInfo : RulesetVersion
{
    public RulesetVersionInfo()
    {
    }

    [SetsRequiredMembers]
    internal RulesetVersionInfo(RulesetVersion version, IReadOnlyList<string> activeIn) : base(version) =>
        ActiveIn = activeIn;

    [JsonPropertyOrder(1)]
    public IReadOnlyList<string> ActiveIn { get; init; } = [];

    internal static RulesetVersionInfo From(RulesetVersionRecord record, IReadOnlyList<string> activeIn) =>
        new(record, activeIn);
}
