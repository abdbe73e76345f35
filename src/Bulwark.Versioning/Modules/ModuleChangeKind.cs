namespace Bulwark.Versioning.Modules;

/// <summary>How a module differs from the previous snapshot.</summary>
public enum ModuleChangeKind
{
    Unchanged,
    Added,
    Removed,
    /// <summary>New content and a higher version: a proper release.</summary>
    Upgraded,
    /// <summary>Same content, different version (a relabel; not a problem).</summary>
    Relabelled,
    /// <summary>The content changed but the version did not: a version conflict.</summary>
    Conflict,
    /// <summary>The version went backwards.</summary>
    Downgraded,
    /// <summary>No header line declares a version (or it is not a version).</summary>
    NoVersion,
}
