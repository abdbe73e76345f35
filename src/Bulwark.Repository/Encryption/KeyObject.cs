namespace Bulwark.Repository.Encryption;

/// <summary>
/// One object in keys/: the repository's master key wrapped (AES-256-GCM) by a key derived from one passphrase. The
/// wrapping is bound to the repository id and this key's id, so a key object cannot be moved to another repository
/// or name. Holds nothing secret in the clear.
/// </summary>
public sealed record KeyObject
{
    public int Version { get; init; } = 1;
    /// <summary>32 hex digits, also the object's name under keys/.</summary>
    public required string Id { get; init; }
    public required DateTimeOffset Created { get; init; }
    public string? Host { get; init; }
    public string? User { get; init; }
    public required KdfParameters Kdf { get; init; }
    /// <summary>Base64 of the 16-byte random salt.</summary>
    public required string Salt { get; init; }
    /// <summary>Base64 of nonce (12 bytes) | encrypted master key (32 bytes) | tag (16 bytes).</summary>
    public required string WrappedKey { get; init; }

    public string ShortId => Id[..8];
}
