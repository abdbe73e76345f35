namespace Bulwark.Operations.Configuration;

/// <summary>
/// bulwark.yml. Keys are hyphenated ("bin-dir"); every key can be overridden by an environment variable named after
/// its path (postgres.bin-dir → BULWARK_POSTGRES_BIN_DIR; lists are comma-separated). Relative paths are relative to
/// the folder of the configuration file.
/// </summary>
public sealed class BulwarkConfig
{
    /// <summary>Where backups go: a folder, or a URL of an object store.</summary>
    public string? Repository { get; set; }

    /// <summary>The local state folder (operations log, cache). Default: $XDG_STATE_HOME/bulwark or ~/.local/state/bulwark.</summary>
    public string? State { get; set; }

    /// <summary>The host name recorded in snapshots and locks (default: the machine's name).</summary>
    public string? HostName { get; set; }

    public PostgresConfig Postgres { get; set; } = new();

    public BackupConfig Backup { get; set; } = new();

    public DrillConfig Drill { get; set; } = new();
}
