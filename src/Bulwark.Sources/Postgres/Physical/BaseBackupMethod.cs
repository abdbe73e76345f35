namespace Bulwark.Sources.Postgres.Physical;

/// <summary>How a base backup reads the cluster's files (backup.physical-method).</summary>
public enum BaseBackupMethod
{
    /// <summary>Straight from the data folder when the server runs on this machine and it is readable here; through pg_basebackup otherwise.</summary>
    Auto,
    /// <summary>Straight from the data folder, or not at all.</summary>
    Direct,
    /// <summary>Always through pg_basebackup (the replication protocol), as for a server on another machine.</summary>
    PgBaseBackup,
}
