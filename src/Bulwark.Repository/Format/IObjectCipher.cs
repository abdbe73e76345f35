namespace Bulwark.Repository.Format;

/// <summary>
/// What an encrypted repository adds to every object: keyed ids and authenticated encryption. A plain repository
/// uses <see cref="PlainCipher"/>.
/// </summary>
public interface IObjectCipher
{
    /// <summary>True when objects are encrypted.</summary>
    bool Encrypts { get; }

    /// <summary>The id of a plaintext: SHA-256, or a keyed hash so that ids reveal nothing.</summary>
    ObjectId ComputeId(ReadOnlySpan<byte> plaintext);

    /// <summary>The id computed piece by piece, for content streamed rather than held (same result as <see cref="ComputeId"/>).</summary>
    System.Security.Cryptography.IncrementalHash CreateIdHash() =>
        System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);

    /// <summary>Encrypts and authenticates a packed object (identity when not encrypting).</summary>
    byte[] Seal(ReadOnlySpan<byte> packed);

    /// <summary>Checks and decrypts a stored object; throws an integrity error naming <paramref name="name"/> when it was modified.</summary>
    byte[] Open(byte[] stored, string name);

    /// <summary>Room <see cref="SealInPlace"/> needs before and after the packed bytes (nonce and tag).</summary>
    (int Before, int After) SealRoom => (0, 0);

    /// <summary>
    /// Seals without a copy: <paramref name="buffer"/> holds <see cref="SealRoom"/>.Before bytes of room, the packed
    /// bytes, and .After bytes of room; afterwards it is the stored object. For large objects (WAL segments).
    /// </summary>
    void SealInPlace(Span<byte> buffer)
    {
    }

    /// <summary>Like <see cref="Open"/>, decrypting within <paramref name="stored"/> instead of into a copy.</summary>
    ArraySegment<byte> OpenInPlace(ArraySegment<byte> stored, string name) =>
        Open(stored.Offset == 0 && stored.Count == stored.Array!.Length ? stored.Array : stored.ToArray(), name);

    /// <summary>
    /// The chunker parameters actually used: an encrypted repository mixes a secret from its key into the stored gear
    /// seed, so that chunk boundaries (and so object sizes) do not reveal content to someone who reads the config.
    /// </summary>
    Chunking.ChunkerParameters Chunker(Chunking.ChunkerParameters stored) => stored;
}

/// <summary>No encryption: ids are SHA-256 of the plaintext.</summary>
public sealed class PlainCipher : IObjectCipher
{
    public static PlainCipher Instance { get; } = new();

    public bool Encrypts => false;
    public ObjectId ComputeId(ReadOnlySpan<byte> plaintext) => ObjectId.Sha256(plaintext);
    public byte[] Seal(ReadOnlySpan<byte> packed) => packed.ToArray();
    public byte[] Open(byte[] stored, string name) => stored;
    public ArraySegment<byte> OpenInPlace(ArraySegment<byte> stored, string name) => stored;
}
