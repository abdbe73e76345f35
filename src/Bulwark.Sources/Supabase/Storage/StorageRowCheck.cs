using System.Globalization;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Fingerprints;
using Npgsql;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// The drill's check of Storage: every row of storage.objects in the restored database (bucket_id, name, and the
/// size in its metadata) has its file among the snapshot's storage streams, with that size. Files without a row are
/// counted, not reported: they were uploaded after the database's snapshot was exported.
/// </summary>
public static class StorageRowCheck
{
    public static async Task<StorageCheckResult> CheckAsync(NpgsqlConnection connection, IReadOnlyList<StreamEntry> files,
        CancellationToken cancellationToken)
    {
        var sizes = files.ToDictionary(f => (StorageStreams.Bucket(f), StorageStreams.Key(f)), f => f.Size);
        var seen = new HashSet<(string, string)>();
        var differences = new List<FingerprintDifference>();
        long rows = 0;
        await using (var command = new NpgsqlCommand(
                         "SELECT bucket_id, name, metadata->>'size' FROM storage.objects WHERE name IS NOT NULL ORDER BY bucket_id, name",
                         connection))
        {
            NpgsqlDataReader reader;
            try
            {
                reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
            {
                return new StorageCheckResult
                {
                    Rows = 0,
                    Files = files.Count,
                    Differences = [new FingerprintDifference("storage.objects", $"the restored database has no storage.objects table, but the snapshot holds {files.Count} Storage files")],
                    FilesWithoutRow = files.Count,
                };
            }
            await using (reader)
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows++;
                    var (bucket, name) = (reader.GetString(0), reader.GetString(1));
                    var what = $"storage object {bucket}/{name}";
                    seen.Add((bucket, name));
                    if (!sizes.TryGetValue((bucket, name), out var size))
                    {
                        differences.Add(new FingerprintDifference(what, "has a row in storage.objects but no file in the snapshot"));
                        continue;
                    }
                    var text = reader.IsDBNull(2) ? null : reader.GetString(2);
                    if (text is not null && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var rowSize) && rowSize != size)
                        differences.Add(new FingerprintDifference(what, $"storage.objects says {rowSize} bytes, the stored file has {size}"));
                }
            }
        }
        return new StorageCheckResult
        {
            Rows = rows,
            Files = files.Count,
            Differences = differences,
            FilesWithoutRow = sizes.Keys.Count(k => !seen.Contains(k)),
        };
    }

    /// <summary>Opens the restored database and checks it (see the other overload).</summary>
    public static async Task<StorageCheckResult> CheckAsync(Postgres.PgConnectionSettings database, IReadOnlyList<StreamEntry> files,
        CancellationToken cancellationToken)
    {
        await using var connection = await Postgres.PgErrors.OpenAsync(database, "checking Storage rows in", cancellationToken).ConfigureAwait(false);
        return await CheckAsync(connection, files, cancellationToken).ConfigureAwait(false);
    }
}
