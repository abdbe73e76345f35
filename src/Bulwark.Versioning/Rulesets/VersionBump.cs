namespace Bulwark.Versioning.Rulesets;

/// <summary>Which part of the version a new ruleset version raises.</summary>
public enum VersionBump
{
    Patch,
    Minor,
    Major,
}
