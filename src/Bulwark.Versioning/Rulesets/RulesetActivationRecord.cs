namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// One activation of a ruleset version in an environment (also a rollback or a promotion), stored as an immutable
/// event (events/rulesets/NAME/activations/): who, when, which version, and which one it replaced.
/// </summary>
public sealed record RulesetActivationRecord
{
    public const string Activate = "activate";
    public const string Rollback = "rollback";
    public const string Promote = "promote";

    public required string Ruleset { get; init; }
    public required string Environment { get; init; }
    public required string Version { get; init; }
    /// <summary>The version active in the environment before, or null.</summary>
    public string? Previous { get; init; }
    /// <summary><see cref="Activate"/>, <see cref="Rollback"/> or <see cref="Promote"/>.</summary>
    public required string Action { get; init; }
    /// <summary>With a promotion: the environment the version came from.</summary>
    public string? FromEnvironment { get; init; }
    public required string Author { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Host { get; init; }
    /// <summary>The file written.</summary>
    public required string Path { get; init; }
    /// <summary>SHA-256 of the content written.</summary>
    public required string Sha256 { get; init; }
    /// <summary>Position among the ruleset's activations (1, 2, …): orders events written in the same millisecond.</summary>
    public required long Sequence { get; init; }
}
