using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Operations.Configuration;

/// <summary>How backups run.</summary>
public sealed class BackupConfig : IConfigSection
{
    /// <summary>Tags added to every snapshot.</summary>
    public List<string> Tags { get; set; } = [];

    /// <summary>Chunks compressed and uploaded at once; 0 chooses from the processor count.</summary>
    public int Parallelism { get; set; }

    /// <summary>
    /// zstd level, 1 (fastest) to 19. Level 1 by default: on database text it compresses about as well as 3 here and
    /// twice as fast, and a backup should keep up with pg_dump (bench/: backup).
    /// </summary>
    public int CompressionLevel { get; set; } = 1;

    /// <summary>
    /// zstd level of archived WAL files (wal push). Level 3 by default: a segment is compressed once, by its own
    /// process, and 3 stores ~10 % less WAL than 1 for a few milliseconds more per segment (docs/pitr.md, "Numbers").
    /// </summary>
    public int WalCompressionLevel { get; set; } = 3;

    /// <summary>
    /// How 'backup --physical' reads the cluster: "auto" straight from the data folder when the server runs on this
    /// machine and Bulwark may read it, through pg_basebackup otherwise; "direct" or "pg_basebackup" to insist on one.
    /// </summary>
    public string PhysicalMethod { get; set; } = "auto";

    /// <summary>The method, checked by <see cref="Validate"/>.</summary>
    public BaseBackupMethod PhysicalMethodValue => PhysicalMethod switch
    {
        "direct" => BaseBackupMethod.Direct,
        "pg_basebackup" => BaseBackupMethod.PgBaseBackup,
        _ => BaseBackupMethod.Auto,
    };

    /// <summary>Compute per-table fingerprints from the dump as it streams in (for restore drills).</summary>
    public bool Fingerprints { get; set; } = true;

    public void Validate(LoadedConfig config, string key)
    {
        if (CompressionLevel is < 1 or > 19)
            throw config.Error($"{key}.compression-level", $"{CompressionLevel} is out of range", "use 1 (fastest) to 19 (smallest)");
        if (WalCompressionLevel is < 1 or > 19)
            throw config.Error($"{key}.wal-compression-level", $"{WalCompressionLevel} is out of range", "use 1 (fastest) to 19 (smallest)");
        if (PhysicalMethod is not ("auto" or "direct" or "pg_basebackup"))
            throw config.Error($"{key}.physical-method", $"'{PhysicalMethod}' is not a method", "use auto, direct or pg_basebackup");
        if (Parallelism is < 0 or > 64)
            throw config.Error($"{key}.parallelism", $"{Parallelism} is out of range", "use 0 (automatic) to 64");
    }
}
