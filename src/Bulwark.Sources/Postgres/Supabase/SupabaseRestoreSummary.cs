namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>What a restore of a Supabase snapshot restored, and what it left out and why.</summary>
public sealed record SupabaseRestoreSummary
{
    /// <summary>The team's own objects (outside the platform's schemas) restored.</summary>
    public required int TeamObjects { get; init; }
    /// <summary>Rows restored into platform tables (auth users, storage buckets and objects, …).</summary>
    public required IReadOnlyList<PlatformTableRows> PlatformRows { get; init; }
    /// <summary>The team's additions to platform objects applied (triggers, policies, publication membership, grants).</summary>
    public required IReadOnlyList<string> Additions { get; init; }
    /// <summary>What was left out: platform objects, bookkeeping, additions the target refused.</summary>
    public required IReadOnlyList<RestoreSkip> Skipped { get; init; }
    /// <summary>With --clean: the platform tables emptied before their rows were restored.</summary>
    public IReadOnlyList<string> Truncated { get; init; } = [];
    /// <summary>The archive's entries (dump ids) restored: what a drill compares.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<int> RestoredEntries { get; init; } = [];
}
