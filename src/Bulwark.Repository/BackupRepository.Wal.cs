using Bulwark.Repository.Wal;

namespace Bulwark.Repository;

// WAL: archived WAL files, one object each under wal/ (see WalArchive).
public sealed partial class BackupRepository
{
    /// <summary>The repository's WAL archive.</summary>
    public WalArchive Wal => new(Backend, Codec, Options.WalCompressionLevel);
}
