using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Status;

/// <summary>A ruleset: the version active in each environment, and its last activations (newest first).</summary>
public sealed record RulesetStatus(string Ruleset, IReadOnlyList<RulesetEnvironmentStatus> Environments,
    IReadOnlyList<RulesetActivationRecord> RecentActivations);
