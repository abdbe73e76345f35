namespace Bulwark.Sources.Versioning;

/// <summary>How an environment's file compares with its active version.</summary>
public enum RulesetFileStatus
{
    /// <summary>The file matches the active version's SHA-256.</summary>
    Ok,
    /// <summary>The file differs from the active version (edited by hand, or replaced).</summary>
    Drift,
    /// <summary>A version is active but the file is gone.</summary>
    Missing,
    /// <summary>No version was ever activated in this environment.</summary>
    NotActivated,
}

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

/// <summary>The result of verifying every environment of a ruleset.</summary>
public sealed record RulesetVerifyResult(IReadOnlyList<RulesetFileCheck> Checks)
{
    public bool Ok => Checks.All(c => !c.IsProblem);
    public IEnumerable<RulesetFileCheck> Problems => Checks.Where(c => c.IsProblem);
}
