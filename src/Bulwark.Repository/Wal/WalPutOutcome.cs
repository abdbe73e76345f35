namespace Bulwark.Repository.Wal;

/// <summary>What a push did.</summary>
public enum WalPutOutcome
{
    /// <summary>The file was stored.</summary>
    Stored,
    /// <summary>The same file (same name, same content) was already archived; nothing was written.</summary>
    AlreadyArchived,
}
