using System.Security.Cryptography;
using System.Text;

namespace Bulwark.Repository.Encryption;

/// <summary>
/// The repository's random 32-byte master key and the keys derived from it with HKDF-SHA-256: one for object
/// encryption, one for ids, and a secret that picks the chunker's gear table. Separate keys mean that the id key
/// reveals nothing about the encryption key and the other way round.
/// </summary>
internal sealed class MasterKey
{
    public const int Size = 32;

    private MasterKey(byte[] material)
    {
        Material = material;
        EncryptionKey = HKDF.Expand(HashAlgorithmName.SHA256, Prk(material), 32, Info("object encryption aes-256-gcm"));
        IdKey = HKDF.Expand(HashAlgorithmName.SHA256, Prk(material), 32, Info("object ids hmac-sha256"));
        ChunkerSecret = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(
            HKDF.Expand(HashAlgorithmName.SHA256, Prk(material), 8, Info("chunker gear seed")));
    }

    public byte[] Material { get; }
    public byte[] EncryptionKey { get; }
    public byte[] IdKey { get; }
    public ulong ChunkerSecret { get; }

    public static MasterKey Generate() => new(RandomNumberGenerator.GetBytes(Size));

    public static MasterKey FromBytes(ReadOnlySpan<byte> material)
    {
        if (material.Length != Size)
            throw new ArgumentException("a master key has 32 bytes", nameof(material));
        return new MasterKey(material.ToArray());
    }

    private static byte[] Prk(byte[] material) => HKDF.Extract(HashAlgorithmName.SHA256, material, "bulwark/v1"u8.ToArray());

    private static byte[] Info(string purpose) => Encoding.ASCII.GetBytes("bulwark/v1 " + purpose);
}
