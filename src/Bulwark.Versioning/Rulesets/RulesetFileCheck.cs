namespace Bulwark.Versioning.Rulesets;

/// <summary>One environment's file checked against its active version (for 'ruleset verify' and the health check).</summary>
public sealed record RulesetFileCheck
{
    public required string Ruleset { get; init; }
    public required string Environment { get; init; }
    public required string Path { get; init; }
    public required RulesetFileStatus Status { get; init; }
    public string? ActiveVersion { get; init; }
    public string? ExpectedSha256 { get; init; }
    public string? ActualSha256 { get; init; }
    /// <summary>When the file drifted to the content of another registered version: that version.</summary>
    public string? MatchesVersion { get; init; }

    public bool IsProblem => Status is RulesetFileStatus.Drift or RulesetFileStatus.Missing;

    public string Describe() => Status switch
    {
        RulesetFileStatus.Ok => $"{Path} matches {ActiveVersion}",
        RulesetFileStatus.Drift => $"{Path} does not match its active version {ActiveVersion} (sha256 {ActualSha256?[..12]}… instead of {ExpectedSha256?[..12]}…{(MatchesVersion is null ? "" : $"; it is version {MatchesVersion}")})",
        RulesetFileStatus.Missing => $"{Path} is missing; version {ActiveVersion} is active there",
        _ => $"no version of '{Ruleset}' was activated in {Environment}",
    };
}
