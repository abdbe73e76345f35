using Bulwark.Sources.Postgres;

namespace Bulwark.Operations.Configuration;

/// <summary>The database to back up.</summary>
public sealed class PostgresConfig : IConfigSection
{
    /// <summary>postgres:// URL or key=value connection string. Leave the password out: PGPASSWORD or ~/.pgpass supply it.</summary>
    public string? Url { get; set; }

    /// <summary>Folder of pg_dump, pg_restore, pg_dumpall and psql; searched when empty.</summary>
    public string? BinDir { get; set; }

    /// <summary>
    /// Also back up roles and tablespaces (pg_dumpall --globals-only). Unset: off, except for the supabase profile,
    /// which keeps the team's own roles.
    /// </summary>
    public bool? Globals { get; set; }

    public List<string> Schemas { get; set; } = [];

    public List<string> ExcludeSchemas { get; set; } = [];

    public List<string> ExcludeTableData { get; set; } = [];

    /// <summary>
    /// auto (the default), plain or supabase. auto picks supabase for a host under supabase.co or supabase.com, or a
    /// database with the platform's schemas and roles; plain otherwise.
    /// </summary>
    public string? Profile { get; set; }

    public SupabaseConfig Supabase { get; set; } = new();

    /// <summary>The parsed <see cref="Profile"/>.</summary>
    public PostgresProfile ProfileValue => Profile?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => PostgresProfile.Auto,
        "plain" => PostgresProfile.Plain,
        "supabase" => PostgresProfile.Supabase,
        _ => throw new BulwarkException(ErrorKind.Configuration, $"'postgres.profile': '{Profile}' is not a profile", "use auto, plain or supabase"),
    };

    public void Validate(LoadedConfig config, string key)
    {
        if (Profile?.Trim().ToLowerInvariant() is not (null or "" or "auto" or "plain" or "supabase"))
            throw config.Error($"{key}.profile", $"'{Profile}' is not a profile", "use auto, plain or supabase");
    }
}
