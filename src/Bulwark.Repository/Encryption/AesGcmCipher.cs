using System.Security.Cryptography;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Format;

namespace Bulwark.Repository.Encryption;

/// <summary>
/// Encryption of an encrypted repository: every object is AES-256-GCM with a random 96-bit nonce, stored as
/// nonce | ciphertext | tag; ids are HMAC-SHA-256 of the plaintext under a separate key, so names reveal nothing.
/// A modified object fails its tag; an object swapped for another valid one decrypts but fails the id check that
/// <see cref="ObjectCodec.Unpack(byte[], ObjectId, string, int)"/> makes, and both name the object.
/// </summary>
internal sealed class AesGcmCipher : IObjectCipher
{
    public const string Name = "aes-256-gcm";
    public const string IdScheme = "hmac-sha256";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    // Separates object encryption from key wrapping, which uses another key anyway.
    private static readonly byte[] AssociatedData = "bulwark/v1 object"u8.ToArray();

    private readonly MasterKey _key;

    public AesGcmCipher(MasterKey key, string keyId)
    {
        _key = key;
        KeyId = keyId;
    }

    public bool Encrypts => true;

    /// <summary>The key object that opened the repository.</summary>
    public string KeyId { get; }

    internal MasterKey MasterKey => _key;

    public ObjectId ComputeId(ReadOnlySpan<byte> plaintext)
    {
        Span<byte> mac = stackalloc byte[ObjectId.Size];
        HMACSHA256.HashData(_key.IdKey, plaintext, mac);
        return new ObjectId(mac);
    }

    public byte[] Seal(ReadOnlySpan<byte> packed)
    {
        var stored = new byte[NonceSize + packed.Length + TagSize];
        var nonce = stored.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key.EncryptionKey, TagSize);
        aes.Encrypt(nonce, packed, stored.AsSpan(NonceSize, packed.Length), stored.AsSpan(NonceSize + packed.Length), AssociatedData);
        return stored;
    }

    public IncrementalHash CreateIdHash() => IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key.IdKey);

    public (int Before, int After) SealRoom => (NonceSize, TagSize);

    public void SealInPlace(Span<byte> buffer)
    {
        var length = buffer.Length - NonceSize - TagSize;
        var nonce = buffer[..NonceSize];
        RandomNumberGenerator.Fill(nonce);
        var packed = buffer.Slice(NonceSize, length);
        using var aes = new AesGcm(_key.EncryptionKey, TagSize);
        // AES-GCM allows the ciphertext to overwrite the plaintext exactly.
        aes.Encrypt(nonce, packed, packed, buffer[(NonceSize + length)..], AssociatedData);
    }

    public ArraySegment<byte> OpenInPlace(ArraySegment<byte> stored, string name)
    {
        if (stored.Count < NonceSize + TagSize)
            throw Modified(name, "it is too short to be an encrypted object");
        var length = stored.Count - NonceSize - TagSize;
        var ciphertext = stored.AsSpan(NonceSize, length);
        try
        {
            using var aes = new AesGcm(_key.EncryptionKey, TagSize);
            aes.Decrypt(stored.AsSpan(0, NonceSize), ciphertext, stored.AsSpan(NonceSize + length), ciphertext, AssociatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            // A failed decryption clears the output: the buffer holds nothing of the object any more.
            throw Modified(name, "it does not authenticate (modified, truncated, or written with another key)");
        }
        return stored.Slice(NonceSize, length);
    }

    public byte[] Open(byte[] stored, string name)
    {
        if (stored.Length < NonceSize + TagSize)
            throw Modified(name, "it is too short to be an encrypted object");
        var length = stored.Length - NonceSize - TagSize;
        var packed = new byte[length];
        try
        {
            using var aes = new AesGcm(_key.EncryptionKey, TagSize);
            aes.Decrypt(stored.AsSpan(0, NonceSize), stored.AsSpan(NonceSize, length), stored.AsSpan(NonceSize + length), packed,
                AssociatedData);
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Modified(name, "it does not authenticate (modified, truncated, or written with another key)");
        }
        return packed;
    }

    public ChunkerParameters Chunker(ChunkerParameters stored) => stored with { Seed = stored.Seed ^ _key.ChunkerSecret };

    private static BulwarkException Modified(string name, string why) =>
        new(ErrorKind.Integrity, $"object {name} is damaged: {why}",
            "run 'bulwark verify --read-data' to find every damaged object and the snapshots it breaks");
}
