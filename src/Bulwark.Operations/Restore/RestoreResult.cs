namespace Bulwark.Operations.Restore;

/// <summary>What a restore did: into a database (<see cref="Database"/>) or a file (<see cref="File"/>).</summary>
public sealed record RestoreResult
{
    public required string Snapshot { get; init; }
    public string? Database { get; init; }
    public string? Target { get; init; }
    public bool Created { get; init; }
    public string? File { get; init; }
    public string? Sha256 { get; init; }
    /// <summary>The files written by a restore with --files-to.</summary>
    public IReadOnlyList<Sources.Files.RestoredFile>? Files { get; init; }
    /// <summary>What a restore with --storage-to uploaded to Supabase Storage.</summary>
    public Sources.Supabase.Storage.StorageRestoreResult? Storage { get; init; }
    public required long Bytes { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>How long ANALYZE took after a restore into a database, when it ran.</summary>
    public TimeSpan? AnalyzeDuration { get; init; }
    /// <summary>Why statistics were not gathered (the restore itself succeeded).</summary>
    public string? AnalyzeProblem { get; init; }
    /// <summary>For a Supabase snapshot: what was restored into the project, and what was left out and why.</summary>
    public Sources.Postgres.Supabase.SupabaseRestoreSummary? Supabase { get; init; }
}
