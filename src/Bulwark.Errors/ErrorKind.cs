namespace Bulwark;

/// <summary>
/// What kind of failure an error is. The command-line host maps each kind to one exit code (see ExitCodes);
/// the kind, not the exception type, is what callers and scripts depend on.
/// </summary>
public enum ErrorKind
{
    /// <summary>A bug or an unexpected condition.</summary>
    Internal,
    /// <summary>The command line is wrong.</summary>
    Usage,
    /// <summary>The configuration file or an environment override is wrong.</summary>
    Configuration,
    /// <summary>The repository is missing, is not a repository, or has a format this version cannot read.</summary>
    Repository,
    /// <summary>Another process holds a conflicting lock on the repository.</summary>
    RepositoryLocked,
    /// <summary>The storage location cannot be reached or refuses the credentials.</summary>
    StorageUnavailable,
    /// <summary>The database server cannot be reached, or refuses the credentials.</summary>
    SourceUnavailable,
    /// <summary>A required program (pg_dump, pg_restore, …) is missing or too old.</summary>
    ToolMissing,
    /// <summary>Data is missing or damaged: a chunk, a manifest, a checksum, a restore drill.</summary>
    Integrity,
    /// <summary>The passphrase does not open the repository.</summary>
    WrongPassphrase,
    /// <summary>The operation was refused to protect data (a non-empty restore target, a policy deleting everything).</summary>
    Refused,
    /// <summary>The operation ran and failed (pg_dump or pg_restore failed, a job failed).</summary>
    Failed,
    /// <summary>The user or a signal cancelled the operation.</summary>
    Cancelled,
    /// <summary>A WAL file of the same name is archived with other content; it is never overwritten.</summary>
    WalConflict,
}
