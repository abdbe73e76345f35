namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>The content of a snapshot's supabase.json stream.</summary>
internal sealed record SupabasePlatformDocument
{
    public int Format { get; init; } = 1;

    /// <summary>The platform lists the backup used.</summary>
    public required SupabasePlatform Platform { get; init; }

    /// <summary>Relations ("schema.name") of platform schemas left out of the archive: the backup's role cannot read them.</summary>
    public IReadOnlyList<string> ExcludedRelations { get; init; } = [];

    /// <summary>Tables ("schema.name") whose definitions are in the archive but not their rows (the platform's bookkeeping).</summary>
    public IReadOnlyList<string> ExcludedTableData { get; init; } = [];
}
