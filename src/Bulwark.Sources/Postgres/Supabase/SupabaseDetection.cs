using Npgsql;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>Whether a database is a Supabase project: by its host name, or by the platform's schemas and roles.</summary>
public static class SupabaseDetection
{
    /// <summary>db.&lt;ref&gt;.supabase.co, the poolers (*.pooler.supabase.com) and any other host of the platform.</summary>
    public static bool IsSupabaseHost(string? host) =>
        !string.IsNullOrEmpty(host) &&
        (host.EndsWith(".supabase.co", StringComparison.OrdinalIgnoreCase) ||
         host.EndsWith(".supabase.com", StringComparison.OrdinalIgnoreCase));

    /// <summary>The database has the auth and storage schemas and the anon, authenticated and service_role roles.</summary>
    public static async Task<bool> HasPlatformAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT (SELECT count(*) FROM pg_catalog.pg_namespace WHERE nspname IN ('auth', 'storage')) = 2
               AND (SELECT count(*) FROM pg_catalog.pg_roles WHERE rolname IN ('anon', 'authenticated', 'service_role')) = 3
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>Resolves <see cref="PostgresProfile.Auto"/> for the database on <paramref name="connection"/>.</summary>
    public static async Task<bool> IsSupabaseAsync(PostgresProfile profile, string? host, NpgsqlConnection connection,
        CancellationToken cancellationToken) => profile switch
    {
        PostgresProfile.Supabase => true,
        PostgresProfile.Plain => false,
        _ => IsSupabaseHost(host) || await HasPlatformAsync(connection, cancellationToken).ConfigureAwait(false),
    };
}
