namespace Bulwark.Repository.Wal;

/// <summary>One WAL file in the archive, as a listing sees it (nothing read).</summary>
/// <param name="StoredSize">The object's size: compressed, sealed when the repository is encrypted.</param>
/// <param name="Archived">When the object was written.</param>
public readonly record struct ArchivedWalFile(WalFileName File, long StoredSize, DateTimeOffset Archived);
