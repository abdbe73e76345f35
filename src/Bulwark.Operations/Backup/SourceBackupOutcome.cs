namespace Bulwark.Operations.Backup;

/// <summary>How one source's backup ended: its snapshot, its error, or both (saved, but 'copy-to' failed).</summary>
public sealed record SourceBackupOutcome(string Source, BackupResult? Result, BulwarkException? Error);
