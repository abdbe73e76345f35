namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// What belongs to the Supabase platform rather than to the team that runs a project on it: its schemas, its reserved
/// roles and the tables where it keeps its own bookkeeping. The one place these lists live; 'postgres.supabase.platform'
/// in bulwark.yml replaces any of them when the platform changes (docs/supabase.md).
/// </summary>
public sealed record SupabasePlatform
{
    /// <summary>Schemas the platform creates and owns. The team's data inside their tables is still backed up.</summary>
    public IReadOnlyList<string> Schemas { get; init; } =
    [
        "auth", "storage", "realtime", "_realtime", "_analytics", "extensions", "graphql", "graphql_public", "vault",
        "pgsodium", "pgsodium_masks", "supabase_functions", "supabase_migrations", "net", "cron", "pgbouncer",
    ];

    /// <summary>Roles the platform creates in every project; never backed up or restored as the team's.</summary>
    public IReadOnlyList<string> ReservedRoles { get; init; } =
    [
        "postgres", "anon", "authenticated", "service_role", "authenticator", "dashboard_user", "pgbouncer",
    ];

    /// <summary>Name prefixes of further reserved roles (supabase_admin, supabase_auth_admin, pgsodium_keyholder …).</summary>
    public IReadOnlyList<string> ReservedRolePrefixes { get; init; } = ["supabase_", "pgsodium_", "pg_"];

    /// <summary>
    /// Tables ("schema.table") whose rows are the platform's own state: migration history, queues, subscriptions.
    /// Their rows are neither backed up nor restored; a fresh project has its own.
    /// </summary>
    public IReadOnlyList<string> BookkeepingTables { get; init; } =
    [
        "auth.schema_migrations", "storage.migrations", "realtime.schema_migrations", "realtime.subscription",
        "realtime.messages", "supabase_functions.migrations", "supabase_functions.hooks", "net.http_request_queue",
        "net._http_response", "cron.job_run_details", "vault.secrets", "pgsodium.key",
    ];

    public static SupabasePlatform Default { get; } = new();

    public bool IsPlatformSchema(string? schema) =>
        !string.IsNullOrEmpty(schema) && Schemas.Contains(schema, StringComparer.Ordinal);

    public bool IsReservedRole(string role) =>
        ReservedRoles.Contains(role, StringComparer.Ordinal) ||
        ReservedRolePrefixes.Any(prefix => role.StartsWith(prefix, StringComparison.Ordinal));

    public bool IsBookkeeping(string schema, string table) =>
        BookkeepingTables.Contains($"{schema}.{table}", StringComparer.Ordinal);
}
