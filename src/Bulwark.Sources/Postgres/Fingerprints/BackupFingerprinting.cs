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

    public IReadOnlyList<IStreamObserver> CreateObservers()
    {
        _observer = new FingerprintObserver();
        return [_observer];
    }

    /// <summary>Reads the settings that shape COPY text, inside the snapshot pg_dump uses.</summary>
    public async Task InsideSnapshotAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        _textSettings = await CopyTextSettings.ReadAsync(connection, cancellationToken).ConfigureAwait(false);

    /// <summary>The fingerprints of the dump; null when no dump was observed.</summary>
    public DatabaseFingerprints? Result => _observer?.Result(_textSettings);
}
