namespace Bulwark.Operations.Backup;

/// <summary>
/// The backup was committed, but copying it to 'copy-to' failed. Thrown (not returned) so that no caller can miss the
/// gap; <see cref="Backup"/> holds the committed snapshot, and the operations log has a failed "copy" record.
/// </summary>
public sealed class CopyAfterBackupFailedException : BulwarkException
{
    public CopyAfterBackupFailedException(BackupResult backup, string destination, BulwarkException cause)
        : base(cause.Kind == ErrorKind.Internal ? ErrorKind.Failed : cause.Kind,
            $"snapshot {backup.Snapshot.ShortId} was saved, but copying it to {destination} failed: {cause.Message}",
            (cause.Advice is null ? "" : cause.Advice + "; then ") + $"run 'bulwark copy --to {destination} {backup.Snapshot.ShortId}'",
            cause)
    {
        Backup = backup;
        Destination = destination;
    }

    public BackupResult Backup { get; }

    /// <summary>The copy destination, safe to print.</summary>
    public string Destination { get; }
}
