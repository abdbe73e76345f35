namespace Bulwark.Operations.Backup;

/// <summary>What to back up; unset values come from the configuration.</summary>
public sealed record BackupRequest
{
    /// <summary>A connection URL that replaces 'postgres.url'.</summary>
    public string? Source { get; init; }
    /// <summary>Include roles; null keeps 'postgres.globals'.</summary>
    public bool? Globals { get; init; }
    /// <summary>Tags added to those of the configuration.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Store only the files and modules of the configuration, not the database.</summary>
    public bool FilesOnly { get; init; }
    /// <summary>A base backup of the whole cluster (pg_basebackup) instead of a dump of the database.</summary>
    public bool Physical { get; init; }
    /// <summary>Sessions that read tables at once (backup --jobs); 1 writes a single archive.</summary>
    public int Jobs { get; init; } = 1;
}
