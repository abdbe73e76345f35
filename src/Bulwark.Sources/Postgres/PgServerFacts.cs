using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>What Bulwark needs to know about a server and database before dumping or restoring.</summary>
public sealed record PgServerFacts(
    PgVersion Version,
    string VersionText,
    string Database,
    string User,
    bool IsSuperuser,
    long DatabaseSize,
    string Encoding,
    string Collate,
    string CType)
{
    public static async Task<PgServerFacts> ReadAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT current_setting('server_version_num')::int,
                   current_setting('server_version'),
                   current_database(),
                   current_user,
                   coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false),
                   pg_database_size(current_database()),
                   pg_encoding_to_char(d.encoding),
                   d.datcollate,
                   d.datctype
            FROM pg_database d WHERE d.datname = current_database()
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new PgServerFacts(
            PgVersion.FromNumber(reader.GetInt32(0)),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetString(3),
            reader.GetBoolean(4),
            reader.GetInt64(5),
            reader.GetString(6),
            reader.GetString(7),
            reader.GetString(8));
    }
}
