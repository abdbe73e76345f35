namespace Bulwark.Sources.Postgres;

/// <summary>How a database is backed up ('postgres.profile').</summary>
public enum PostgresProfile
{
    /// <summary>Supabase when the host or the database looks like a Supabase project, else plain.</summary>
    Auto,
    /// <summary>Everything pg_dump sees, as today.</summary>
    Plain,
    /// <summary>A Supabase project backed up as its own postgres role (docs/supabase.md).</summary>
    Supabase,
}
