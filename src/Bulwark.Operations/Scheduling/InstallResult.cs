namespace Bulwark.Operations.Scheduling;

/// <summary>What an install wrote (or, with --print, would write).</summary>
public sealed record InstallResult
{
    /// <summary>The crontab (file, or the user's) or the unit folder.</summary>
    public required string Target { get; init; }
    public required bool Changed { get; init; }
    /// <summary>Path (or crontab) → the text Bulwark manages there.</summary>
    public required IReadOnlyDictionary<string, string> Content { get; init; }
    public IReadOnlyList<string> Written { get; init; } = [];
    public IReadOnlyList<string> Removed { get; init; } = [];
    public required IReadOnlyList<string> Warnings { get; init; }
    public required IReadOnlyList<string> NextSteps { get; init; }
}
