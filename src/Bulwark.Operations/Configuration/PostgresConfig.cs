namespace Bulwark.Operations.Configuration;

/// <summary>The database to back up.</summary>
public sealed class PostgresConfig
{
    /// <summary>postgres:// URL or key=value connection string. Leave the password out: PGPASSWORD or ~/.pgpass supply it.</summary>
    public string? Url { get; set; }

    /// <summary>Folder of pg_dump, pg_restore, pg_dumpall and psql; searched when empty.</summary>
    public string? BinDir { get; set; }

    /// <summary>Also back up roles and tablespaces (pg_dumpall --globals-only).</summary>
    public bool Globals { get; set; }

    public List<string> Schemas { get; set; } = [];

    public List<string> ExcludeSchemas { get; set; } = [];

    public List<string> ExcludeTableData { get; set; } = [];

    public SupabaseConfig Supabase { get; set; } = new();
}
