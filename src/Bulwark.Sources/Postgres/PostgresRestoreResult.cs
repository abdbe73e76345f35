namespace Bulwark.Sources.Postgres;

/// <summary>
/// What a restore did. <see cref="AnalyzeDuration"/> is set when statistics were gathered afterwards;
/// <see cref="AnalyzeProblem"/> says why they were not (the restore itself stands).
/// </summary>
public sealed record PostgresRestoreResult(string Database, bool Created, long Bytes, TimeSpan Duration, int GlobalsErrors)
{
    public TimeSpan? AnalyzeDuration { get; init; }
    public string? AnalyzeProblem { get; init; }
    /// <summary>For a Supabase snapshot: what was restored and what was left out, and why.</summary>
    public Supabase.SupabaseRestoreSummary? Supabase { get; init; }
}
