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

    /// <summary>Several databases, each named, instead of the single 'postgres:' (see docs/configuration.md, "Sources").</summary>
    public List<SourceConfig> Sources { get; set; } = [];

    public BackupConfig Backup { get; set; } = new();

    public DrillConfig Drill { get; set; } = new();

    /// <summary>Files stored in every snapshot: paths and globs ('*', '**'), relative to the configuration file's folder.</summary>
    public List<string> Files { get; set; } = [];

    /// <summary>Versioned modules: files whose header declares a version.</summary>
    public ModulesConfig Modules { get; set; } = new();

    /// <summary>Ruleset name → the working file that 'bulwark ruleset create' registers.</summary>
    public Dictionary<string, string> Rulesets { get; set; } = new() { ["ruleset"] = "ruleset.yml" };

    /// <summary>Environment name → the file that activating a ruleset version writes; '{ruleset}' stands for the ruleset's name.</summary>
    public Dictionary<string, string> Environments { get; set; } = new()
    {
        ["dev"] = "environments/dev/{ruleset}.yml",
        ["staging"] = "environments/staging/{ruleset}.yml",
        ["prod"] = "environments/prod/{ruleset}.yml",
    };

    public RetentionConfig Retention { get; set; } = new();

    public CleanupConfig Cleanup { get; set; } = new();

    /// <summary>A second repository every backup also copies its snapshot to (e.g. offsite); empty for none.</summary>
    public string? CopyTo { get; set; }

    /// <summary>Connections, retries and object-store defaults.</summary>
    public StorageConfig Storage { get; set; } = new();

    /// <summary>When the daemon (or cron/systemd) runs backup, check, cleanup and drills.</summary>
    public ScheduleConfig Schedule { get; set; } = new();

    /// <summary>'bulwark daemon': HTTP address of /health and /metrics, shutdown grace period.</summary>
    public DaemonConfig Daemon { get; set; } = new();

    /// <summary>Thresholds of 'bulwark check'.</summary>
    public CheckConfig Check { get; set; } = new();

    /// <summary>Webhooks and commands that hear about failed jobs and checks that are not OK.</summary>
    public AlertsConfig Alerts { get; set; } = new();

    /// <summary>A shallow copy, whose sections a source replaces (see <see cref="ConfiguredSource"/>).</summary>
    internal BulwarkConfig Copy() => (BulwarkConfig)MemberwiseClone();
}
