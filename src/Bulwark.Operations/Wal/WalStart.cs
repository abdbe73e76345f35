namespace Bulwark.Operations.Wal;

/// <summary>Where a base backup's WAL begins: the timeline it started on and its start LSN.</summary>
public readonly record struct WalStart(uint Timeline, ulong Lsn);
