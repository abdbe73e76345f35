using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Npgsql;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Plugs fingerprinting into one backup: <see cref="CreateObservers"/> goes to
/// <see cref="PostgresBackupOptions.DumpObservers"/>, <see cref="InsideSnapshotAsync"/> to
/// <see cref="PostgresBackupOptions.InsideSnapshot"/>; after the backup, <see cref="Result"/> is what the manifest stores.
/// </summary>
public sealed class BackupFingerprinting
{
    private FingerprintObserver? _observer;
    private IReadOnlyDictionary<string, string>? _textSettings;
    private readonly System.Collections.Concurrent.ConcurrentBag<TableFingerprint> _tables = [];

    public IReadOnlyList<IStreamObserver> CreateObservers()
    {
        _observer = new FingerprintObserver();
        return [_observer];
    }

    /// <summary>An observer of one table's rows in a parallel backup (<see cref="PostgresBackupOptions.TableObservers"/>).</summary>
    public IReadOnlyList<IStreamObserver> CreateTableObservers(string schema, string name) =>
        [new TableObserver(schema, name, _tables)];

    /// <summary>Reads the settings that shape COPY text, inside the snapshot pg_dump uses.</summary>
    public async Task InsideSnapshotAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        _textSettings = await CopyTextSettings.ReadAsync(connection, cancellationToken).ConfigureAwait(false);

    /// <summary>The fingerprints of the dump; null when no dump was observed.</summary>
    public DatabaseFingerprints? Result => _observer?.Result(_textSettings) is not { } result || result.Error is not null || _tables.IsEmpty
        ? _observer?.Result(_textSettings)
        : result with
        {
            Tables = result.Tables.Concat(_tables)
                .OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal).ToList(),
        };

    private sealed class TableObserver(string schema, string name, System.Collections.Concurrent.ConcurrentBag<TableFingerprint> tables)
        : IStreamObserver
    {
        private readonly CopyTextHasher _rows = new();

        public void Observe(ReadOnlySpan<byte> data) => _rows.Append(data);

        public void Complete()
        {
            _rows.Finish();
            tables.Add(new TableFingerprint
            {
                Schema = schema,
                Name = name,
                Rows = _rows.Rows,
                Hash = CopyTextHasher.Format(_rows.Sum),
                Bytes = _rows.Bytes,
            });
        }
    }
}
