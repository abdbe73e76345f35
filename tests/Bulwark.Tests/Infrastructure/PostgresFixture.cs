using Bulwark.Sources.Postgres;
using Npgsql;

[assembly: AssemblyFixture(typeof(Bulwark.Tests.Infrastructure.PostgresFixture))]

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run (initdb + pg_ctl on 127.0.0.1 in a temporary folder, as the
/// postgres user when the tests run as root). Each test creates its own databases with <see cref="CreateDatabaseAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private LocalPostgresServer? _server;
    private int _counter;

    public LocalPostgresServer Server => _server ?? throw new InvalidOperationException("the server is not started");

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["max_connections"] = "300",
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }

    /// <summary>A new empty database with a unique name built from <paramref name="prefix"/>.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 14)].ToLowerInvariant();
        await ExecuteAsync("postgres", $"CREATE DATABASE \"{name}\"");
        return name;
    }

    /// <summary>A unique name for a database that does not exist yet.</summary>
    public string NewDatabaseName(string prefix = "r") => $"{prefix}_{Interlocked.Increment(ref _counter)}_{Guid.NewGuid():N}"[..Math.Min(50, prefix.Length + 14)].ToLowerInvariant();

    public async Task ExecuteAsync(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<T?> ScalarAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull or null ? default : (T)value;
    }

    /// <summary>A postgres:// URL with the password (for tests that pass it explicitly).</summary>
    public string Url(string database, bool withPassword = true) => Server.Url(database, withPassword);
}
