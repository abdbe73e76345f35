using Bulwark.Sources.Postgres;
using Npgsql;

[assembly: AssemblyFixture(typeof(Bulwark.Tests.Infrastructure.SupabaseFixture))]

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A Supabase-shaped PostgreSQL server for the whole test run: its bootstrap superuser is supabase_admin (the
/// platform's admin) and <c>postgres</c> is an ordinary role, as on a hosted project. Each test creates its own
/// projects (databases) with <see cref="CreateProjectAsync"/>: the platform's part alone is a fresh project; with the
/// team's part it is a project in use (see <see cref="SupabaseShape"/>).
/// </summary>
public sealed class SupabaseFixture : IAsyncLifetime
{
    private LocalPostgresServer? _server;
    private int _counter;

    public LocalPostgresServer Server => _server ?? throw new InvalidOperationException("the server is not started");

    /// <summary>The project's own role: not a superuser.</summary>
    public const string ProjectRole = "postgres";

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartAsync(superuser: "supabase_admin", settings: new Dictionary<string, string>
        {
            ["max_connections"] = "100",
            // Supabase runs with logical replication on (Realtime).
            ["wal_level"] = "logical",
        });
        await ExecuteAsAdminAsync("postgres", SupabaseShape.ClusterRoles.Replace("PASSWORD_OF_POSTGRES", Server.Password, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>
    /// A new project database owned by postgres with the platform's schemas, roles' grants, tables, functions, event
    /// trigger and bookkeeping rows; with <paramref name="withTeam"/> also the team's schema and data, written by
    /// postgres.
    /// </summary>
    public async Task<string> CreateProjectAsync(bool withTeam = true, string prefix = "sb")
    {
        var name = NewDatabaseName(prefix);
        await ExecuteAsAdminAsync("postgres", $"CREATE DATABASE \"{name}\" OWNER postgres");
        await ExecuteAsAdminAsync(name, SupabaseShape.Platform);
        if (withTeam)
            await ExecuteAsync(name, SupabaseShape.Team);
        return name;
    }

    /// <summary>A unique name for a database that does not exist yet.</summary>
    public string NewDatabaseName(string prefix = "sb") =>
        $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 14)].ToLowerInvariant();

    /// <summary>A postgres:// URL of the project's own role (postgres), with its password only when asked.</summary>
    public string Url(string database, bool withPassword = false) =>
        $"postgres://{ProjectRole}{(withPassword ? ":" + Uri.EscapeDataString(Server.Password) : "")}@{Server.Host}:{Server.Port}/{Uri.EscapeDataString(database)}";

    /// <summary>Connection settings of the project's own role.</summary>
    public PgConnectionSettings Settings(string database) => PgConnectionSettings.Resolve(Url(database, withPassword: true), _ => null);

    /// <summary>Connection settings of the platform's admin (the superuser): for checks the project role may not make.</summary>
    public PgConnectionSettings AdminSettings(string database) => Server.Settings(database);

    /// <summary>Runs SQL as the project's role.</summary>
    public Task ExecuteAsync(string database, string sql) => ExecuteAsync(Settings(database), sql);

    /// <summary>Runs SQL as the platform's admin.</summary>
    public Task ExecuteAsAdminAsync(string database, string sql) => ExecuteAsync(AdminSettings(database), sql);

    /// <summary>One value, read as the platform's admin (who sees every table).</summary>
    public async Task<T?> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(AdminSettings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    private static async Task ExecuteAsync(PgConnectionSettings settings, string sql)
    {
        await using var connection = new NpgsqlConnection(settings.ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
