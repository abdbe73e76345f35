using System.Collections.Concurrent;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Every connection Bulwark opens, made by one data source per connection string (as Npgsql keeps for
/// <c>new NpgsqlConnection(string)</c>), with the server's type catalog left unread: Bulwark reads built-in types only
/// (catalog facts, counts, settings; rows travel as COPY text), and loading that catalog cost ~17 ms per connection (a
/// new backend's catalog cache is cold), a fifth of the time before a backup's pg_dump could start.
/// </summary>
internal static class PgDataSources
{
    private static readonly ConcurrentDictionary<string, NpgsqlDataSource> Sources = new(StringComparer.Ordinal);

    public static NpgsqlConnection CreateConnection(string connectionString) =>
        Sources.GetOrAdd(connectionString, static key =>
        {
            var builder = new NpgsqlDataSourceBuilder(key);
            builder.ConfigureTypeLoading(types => types.EnableTypeLoading(false));
            return builder.Build();
        }).CreateConnection();
}
