namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// The exit codes of every command, in one place (the README shows the same table). 'bulwark check' alone uses the
/// monitoring-plugin convention instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
/// </summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int Repository = 3;
    public const int Locked = 4;
    public const int SourceUnavailable = 5;
    public const int StorageUnavailable = 6;
    public const int ToolMissing = 7;
    public const int WrongPassphrase = 8;
    public const int Refused = 9;
    public const int Integrity = 10;
    public const int WalConflict = 11;
    public const int Cancelled = 130;

    /// <summary>(code, meaning) for help texts and the README.</summary>
    public static IReadOnlyList<(int Code, string Meaning)> Table { get; } =
    [
        (Ok, "success"),
        (Failed, "the operation failed (pg_dump or pg_restore failed, an unexpected error)"),
        (Usage, "usage or configuration error"),
        (Repository, "repository missing, not a repository, or of a newer format"),
        (Locked, "repository locked by another process"),
        (SourceUnavailable, "database server unreachable, or credentials refused"),
        (StorageUnavailable, "storage unreachable, or credentials refused"),
        (ToolMissing, "pg_dump/pg_restore/pg_dumpall missing or older than the server"),
        (WrongPassphrase, "wrong or missing passphrase for an encrypted repository"),
        (Refused, "refused to protect data (non-empty restore target, policy that deletes everything, ...)"),
        (Integrity, "verification failed: data missing or damaged, restore drill found differences"),
        (WalConflict, "wal push: a WAL file of that name is already archived with other content (nothing overwritten)"),
        (Cancelled, "cancelled (Ctrl+C or SIGTERM)"),
    ];

    public static int For(ErrorKind kind) => kind switch
    {
        ErrorKind.Usage or ErrorKind.Configuration => Usage,
        ErrorKind.Repository => Repository,
        ErrorKind.RepositoryLocked => Locked,
        ErrorKind.SourceUnavailable => SourceUnavailable,
        ErrorKind.StorageUnavailable => StorageUnavailable,
        ErrorKind.ToolMissing => ToolMissing,
        ErrorKind.WrongPassphrase => WrongPassphrase,
        ErrorKind.Refused => Refused,
        ErrorKind.Integrity => Integrity,
        ErrorKind.Cancelled => Cancelled,
        ErrorKind.WalConflict => WalConflict,
        _ => Failed,
    };
}
