using Bulwark.Repository.Snapshots;
using Npgsql;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Computes table fingerprints with SQL on a connection, in whatever snapshot its transaction holds: every ordinary
/// table outside the system schemas (and not an extension's) is read with COPY … TO STDOUT over the same columns
/// pg_dump copies, with the settings pg_dump pins (DateStyle ISO, IntervalStyle postgres, extra_float_digits 3),
/// through the same <see cref="CopyTextHasher"/>. It sets those settings on the session. The text is compared as
/// UTF-8, so it matches pg_dump's bytes for UTF-8 databases.
/// </summary>
public static class SqlFingerprinter
{
    public static async Task<IReadOnlyList<TableFingerprint>> ComputeTablesAsync(NpgsqlConnection connection,
        CancellationToken cancellationToken)
    {
        await using (var set = new NpgsqlCommand("SET DateStyle = ISO; SET IntervalStyle = postgres; SET extra_float_digits = 3", connection))
            await set.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        const string tablesSql = """
            SELECT n.nspname, c.relname,
                   (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
                     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind = 'r'
              AND n.nspname NOT IN ('pg_catalog', 'information_schema')
              AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'
              AND NOT EXISTS (SELECT 1 FROM pg_depend d
                              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
            ORDER BY n.nspname, c.relname
            """;
        var tables = new List<(string Schema, string Name, string? Columns)>();
        await using (var command = new NpgsqlCommand(tablesSql, connection))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                tables.Add((reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        }
        var result = new List<TableFingerprint>();
        var hasher = new CopyTextHasher();
        var chars = new char[64 * 1024];
        var bytes = new byte[System.Text.Encoding.UTF8.GetMaxByteCount(chars.Length)];
        var encoder = System.Text.Encoding.UTF8.GetEncoder();
        foreach (var (schema, name, columns) in tables)
        {
            hasher.Reset();
            var sql = $"COPY {PostgresRestore.QuoteIdentifier(schema)}.{PostgresRestore.QuoteIdentifier(name)}{(columns is null ? "" : $" ({columns})")} TO STDOUT";
            // Npgsql decodes text COPY; re-encoding as UTF-8 gives pg_dump's bytes for a UTF-8 database.
            using (var copy = await connection.BeginTextExportAsync(sql, cancellationToken).ConfigureAwait(false))
            {
                int read;
                while ((read = await copy.ReadAsync(chars, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    var count = encoder.GetBytes(chars, 0, read, bytes, 0, flush: false);
                    hasher.Append(bytes.AsSpan(0, count));
                }
            }
            hasher.Finish();
            result.Add(new TableFingerprint
            {
                Schema = schema,
                Name = name,
                Rows = hasher.Rows,
                Hash = CopyTextHasher.Format(hasher.Sum),
                Bytes = hasher.Bytes,
            });
        }
        return result;
    }
}
