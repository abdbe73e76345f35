namespace Bulwark.Versioning.Rulesets;

/// <summary>A registered version without its content, and the environments where it is active now.</summary>
public sealed record RulesetVersionInfo
{
    public required string Ruleset { get; init; }
    public required string Version { get; init; }
    public string? Parent { get; init; }
    public required string Sha256 { get; init; }
    public required long Size { get; init; }
    public required string Author { get; init; }
    public required string Description { get; init; }
    public required DateTimeOffset Time { get; init; }
    public IReadOnlyList<string> ActiveIn { get; init; } = [];

    internal static RulesetVersionInfo From(RulesetVersionRecord record, IReadOnlyList<string> activeIn) => new()
    {
        Ruleset = record.Ruleset,
        Version = record.Version,
        Parent = record.Parent,
        Sha256 = record.Sha256,
        Size = record.Size,
        Author = record.Author,
        Description = record.Description,
        Time = record.Time,
        ActiveIn = activeIn,
    };
}
