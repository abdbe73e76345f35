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

    /// <summary>Encrypts and authenticates a packed object (identity when not encrypting).</summary>
    byte[] Seal(ReadOnlySpan<byte> packed);

    /// <summary>Checks and decrypts a stored object; throws an integrity error naming <paramref name="name"/> when it was modified.</summary>
    byte[] Open(byte[] stored, string name);

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
}
