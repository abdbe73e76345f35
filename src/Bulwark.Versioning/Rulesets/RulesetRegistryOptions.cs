namespace Bulwark.Versioning.Rulesets;

/// <summary>Which ruleset a <see cref="RulesetRegistry"/> serves and where its files are.</summary>
public sealed record RulesetRegistryOptions
{
    /// <summary>The ruleset's name: letters, digits, '.', '_' and '-'.</summary>
    public required string Name { get; init; }

    /// <summary>The working file that 'create' registers (absolute), or null when this process only reads.</summary>
    public string? SourcePath { get; init; }

    /// <summary>Environment name → the absolute path of the file that activation writes.</summary>
    public IReadOnlyDictionary<string, string> Environments { get; init; } = new Dictionary<string, string>();

    /// <summary>How long create and activate wait for another process changing the same ruleset.</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.FromSeconds(30);
}
