namespace Bulwark.Operations.Wal;

/// <summary>What cleanup did to the WAL archive: files removed (or to remove, in a dry run), or why it left it alone.</summary>
public sealed record WalCleanup(int Files, long StoredBytes, string? Skipped);
