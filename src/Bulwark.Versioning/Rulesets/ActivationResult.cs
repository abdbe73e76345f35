namespace Bulwark.Versioning.Rulesets;

/// <summary>What an activation, rollback or promotion did.</summary>
public sealed record ActivationResult(RulesetActivationRecord Record)
{
    public string Version => Record.Version;
    public string? Previous => Record.Previous;
    public string Environment => Record.Environment;
    public string Path => Record.Path;
}
