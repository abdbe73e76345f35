using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Supabase.Storage;

namespace Bulwark.Operations.Backup;

/// <summary>
/// The Supabase Storage part of a backup ('postgres.supabase.storage'): started from inside the database's exported
/// snapshot, it runs beside pg_dump, and its streams join the same manifest.
/// </summary>
/// <remarks>
/// Why the files match the rows: listing starts only after pg_export_snapshot() has returned, so every
/// storage.objects row the dump holds was committed before the listing began. Supabase Storage writes an object's
/// file before it commits the object's row, so each of those files existed when listed, and is stored. What can still
/// differ is what changed in between: a file uploaded after the export is stored without a row (harmless); a file
/// deleted or replaced after the export is missing or newer than its row; the drill's check (StorageRowCheck) names
/// such rows.
/// </remarks>
internal sealed class StorageBackup : IAsyncDisposable
{
    private readonly SupabaseStorageBackup _backup;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _failed = new();
    private Task<IReadOnlyList<StreamEntry>>? _running;
    private Exception? _failure;

    private StorageBackup(SupabaseStorageBackup backup, CancellationToken cancellationToken)
    {
        _backup = backup;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Null when no Storage endpoint is configured; resolving the key here fails a backup before the dump starts.</summary>
    public static StorageBackup? Plan(BulwarkContext context, CancellationToken cancellationToken) =>
        context.Settings.Postgres.Supabase.Storage is { IsEnabled: true } storage
            ? new StorageBackup(new SupabaseStorageBackup(storage.ToOptions(context.Config)), cancellationToken)
            : null;

    /// <summary>Starts listing and storing; called inside the database's exported snapshot (see the remarks).</summary>
    public void Start(Task<StreamUploader> uploader, IProgress<long>? progress) =>
        _running ??= Task.Run(async () =>
        {
            try
            {
                return await _backup.RunAsync(uploader, progress, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Volatile.Write(ref _failure, e);
                await _failed.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }, _stop.Token);

    /// <summary>Cancelled as soon as the Storage part fails: the dump need not run to its end for a backup that has failed.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Why the Storage part failed, or null.</summary>
    public Exception? Failure => Volatile.Read(ref _failure);

    /// <summary>The Storage streams, once every object is stored.</summary>
    public Task<IReadOnlyList<StreamEntry>> CompleteAsync() =>
        _running ?? throw new InvalidOperationException("the Storage backup was not started inside the database snapshot");

    public async ValueTask DisposeAsync()
    {
        if (_running is { IsCompleted: false } running)
        {
            // The backup failed elsewhere: stop the downloads before the repository closes.
            await _stop.CancelAsync().ConfigureAwait(false);
            try
            {
                await running.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The backup's own failure is the one reported.
            }
        }
        _stop.Dispose();
        _failed.Dispose();
    }
}
