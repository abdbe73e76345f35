namespace Bulwark.Operations.Health;

/// <summary>
/// The names of the health checks, as 'bulwark check' prints them. They are part of the output that people and
/// machines read — JSON, the Nagios line, metric labels, alert keys (an alert recovers by its check's name) — so a
/// name never changes.
/// </summary>
public static class HealthCheckNames
{
    /// <summary>Only when the repository cannot be opened.</summary>
    public const string Repository = "repository";
    public const string BackupAge = "backup-age";
    public const string Integrity = "integrity";
    public const string Size = "size";
    public const string Locks = "locks";
    public const string Drill = "drill";
    public const string Rulesets = "rulesets";
    public const string Modules = "modules";
    public const string Operations = "operations";
    public const string Disk = "disk";
    public const string Permissions = "permissions";
    public const string WalAge = "wal-age";
    public const string WalGaps = "wal-gaps";
    public const string WalPush = "wal-push";

    /// <summary>Every name, in the order of the findings.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Repository, BackupAge, Integrity, Size, Locks, Drill, Rulesets, Modules, Operations, Disk, Permissions, WalAge, WalGaps, WalPush];
}
