using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Maintenance;

/// <summary>What a policy decided, snapshot by snapshot (oldest first).</summary>
public sealed record RetentionPlan(IReadOnlyList<SnapshotDecision> Decisions)
{
    public IEnumerable<SnapshotDecision> Kept => Decisions.Where(d => d.Keep);
    public IEnumerable<SnapshotDecision> Forgotten => Decisions.Where(d => !d.Keep);

    /// <summary>
    /// True when the rules and limits alone keep none of the snapshots (only the safety rules would keep anything):
    /// such a policy is refused rather than applied.
    /// </summary>
    public bool RulesKeepNothing => Decisions.Count > 0 && Decisions.All(d => !d.KeptByRules);
}

/// <summary>
/// The decision about one snapshot: kept or forgotten, and why. <see cref="Reasons"/> name every rule that keeps a
/// kept snapshot ("daily 2024-03-31", "newest (safety)"), or what removes a forgotten one ("older than max-age 30d").
/// </summary>
public sealed record SnapshotDecision(Snapshot Snapshot, string Group, bool Keep, bool KeptByRules,
    IReadOnlyList<string> Reasons);
