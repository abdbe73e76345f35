namespace Bulwark.Versioning.Rulesets;

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
