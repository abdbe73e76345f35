namespace Bulwark.Versioning.Rulesets;

/// <summary>The result of verifying every environment of a ruleset.</summary>
public sealed record RulesetVerifyResult(IReadOnlyList<RulesetFileCheck> Checks)
{
    public bool Ok => Checks.All(c => !c.IsProblem);
    public IEnumerable<RulesetFileCheck> Problems => Checks.Where(c => c.IsProblem);
}
