namespace Bulwark.Repository.Wal;

/// <summary>What a file PostgreSQL archives is.</summary>
public enum WalFileKind
{
    /// <summary>A WAL segment: TTTTTTTTXXXXXXXXYYYYYYYY.</summary>
    Segment,
    /// <summary>A segment a server left unfinished when it was promoted: SEGMENT.partial.</summary>
    Partial,
    /// <summary>A timeline's history: TTTTTTTT.history.</summary>
    History,
    /// <summary>A base backup's label, written by pg_backup_stop: SEGMENT.OFFSET.backup.</summary>
    BackupLabel,
}
