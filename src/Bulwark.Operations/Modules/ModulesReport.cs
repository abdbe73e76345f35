using Bulwark.Versioning.Modules;

namespace Bulwark.Operations.Modules;

/// <summary>
/// Modules compared with a previous snapshot. <see cref="Snapshot"/> is null when the modules were read from disk;
/// <see cref="PreviousSnapshot"/> is null when no earlier snapshot recorded modules.
/// </summary>
public sealed record ModulesReport
{
    public string? Snapshot { get; init; }
    public string? PreviousSnapshot { get; init; }
    public required IReadOnlyList<ModuleChange> Modules { get; init; }

    /// <summary>No version conflict, no version going backwards, no module without a version.</summary>
    public bool Ok => Modules.All(m => !m.IsProblem);

    public IEnumerable<ModuleChange> Problems => Modules.Where(m => m.IsProblem);
}
