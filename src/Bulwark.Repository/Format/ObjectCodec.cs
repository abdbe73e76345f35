using System.Runtime.InteropServices;
using ZstdNet;

namespace Bulwark.Repository.Format;

/// <summary>
/// Turns plaintext into a stored object and back. Stored form (format v1): one byte saying how the rest is encoded
/// (0 = as is, 1 = a zstd frame), then the payload; the whole is sealed by the repository's cipher. Reading always
/// checks that the plaintext hashes to the id it was stored under.
/// </summary>
public sealed class ObjectCodec
{
    private const byte Raw = 0;
    private const byte Zstd = 1;

    [ThreadStatic] private static Compressor? s_compressor;
    [ThreadStatic] private static int s_compressorLevel;
    [ThreadStatic] private static Decompressor? s_decompressor;
    // Reused per thread: chunks are up to a few MiB, and a fresh array each would be a large-object-heap allocation.
    [ThreadStatic] private static byte[]? s_scratch;

    public ObjectCodec(IObjectCipher cipher, int compressionLevel = 1)
    {
        Cipher = cipher;
        CompressionLevel = compressionLevel;
    }

    public IObjectCipher Cipher { get; }
    public int CompressionLevel { get; }

    public ObjectId ComputeId(ReadOnlySpan<byte> plaintext) => Cipher.ComputeId(plaintext);

    /// <summary>Compresses (when it pays) and seals.</summary>
    public byte[] Pack(ReadOnlySpan<byte> plaintext)
    {
        var compressor = s_compressor;
        if (compressor is null || s_compressorLevel != CompressionLevel)
        {
            compressor?.Dispose();
            compressor = s_compressor = new Compressor(new CompressionOptions(CompressionLevel));
            s_compressorLevel = CompressionLevel;
        }
        var bound = PackBound(plaintext.Length);
        var scratch = s_scratch is { } s && s.Length >= bound ? s : s_scratch = new byte[bound];
        var packed = Pack(plaintext, compressor, scratch);
        // Pack returns sealed objects as arrays of their own; only a plain one is still in the scratch buffer.
        return Cipher.Encrypts ? (MemoryMarshal.TryGetArray(packed, out var sealedArray) ? sealedArray.Array! : packed.ToArray()) : packed.ToArray();
    }

    /// <summary>The most bytes <see cref="Pack(ReadOnlySpan{byte}, Compressor, byte[])"/> writes into its buffer for <paramref name="length"/> bytes of plaintext.</summary>
    public static int PackBound(int length) => 1 + Compressor.GetCompressBound(length);

    /// <summary>A packer for one worker: its own zstd context and output buffer, reused chunk after chunk.</summary>
    public ObjectPacker CreatePacker(int maxPlaintext) => new(this, new Compressor(new CompressionOptions(CompressionLevel)), maxPlaintext);

    /// <summary>
    /// Compresses (when it pays) and seals. Unencrypted, the stored form is built in <paramref name="buffer"/> (at
    /// least <see cref="PackBound"/> long) and returned as a slice of it, valid until the buffer's next use; sealed,
    /// it is a new array.
    /// </summary>
    internal ReadOnlyMemory<byte> Pack(ReadOnlySpan<byte> plaintext, Compressor compressor, byte[] buffer)
    {
        var written = compressor.Wrap(plaintext, buffer.AsSpan(1, PackBound(plaintext.Length) - 1));
        int length;
        if (written < plaintext.Length - plaintext.Length / 32)
        {
            buffer[0] = Zstd;
            length = 1 + written;
        }
        else
        {
            buffer[0] = Raw;
            plaintext.CopyTo(buffer.AsSpan(1));
            length = 1 + plaintext.Length;
        }
        return Cipher.Encrypts ? Cipher.Seal(buffer.AsSpan(0, length)) : buffer.AsMemory(0, length);
    }

    /// <summary>
    /// Opens, decompresses and checks the id. <paramref name="name"/> names the object in errors; an object whose
    /// plaintext is (or claims to be) longer than <paramref name="maxSize"/> is an integrity error (see <see cref="ObjectLimits"/>).
    /// </summary>
    public byte[] Unpack(byte[] stored, ObjectId expectedId, string name, int maxSize)
    {
        var plaintext = Decode(stored, name, maxSize);
        CheckId(plaintext, expectedId, name);
        return plaintext;
    }

    /// <summary>
    /// <see cref="Unpack(byte[], ObjectId, string, int)"/> of a stored object held in a buffer, into
    /// <paramref name="destination"/>, which holds at least <paramref name="maxSize"/> bytes; returns the plaintext's
    /// length. An encrypted object is decrypted where it lies. Reading a stream back this way allocates nothing per chunk.
    /// </summary>
    public int Unpack(ArraySegment<byte> stored, ObjectId expectedId, string name, int maxSize, byte[] destination)
    {
        CheckStoredSize(stored.Count, name, maxSize);
        var packed = CheckPacked(Cipher.OpenInPlace(stored, name), name, maxSize);
        var payload = packed.AsSpan(1);
        int length;
        if (packed[0] == Raw)
        {
            payload.CopyTo(destination);
            length = payload.Length;
        }
        else
            length = Decompress(payload, destination.AsSpan(0, DecompressedSize(payload, name, maxSize)), name);
        CheckId(destination.AsSpan(0, length), expectedId, name);
        return length;
    }

    /// <summary>Opens and decompresses without an id check (for objects not named by their content).</summary>
    public byte[] Decode(byte[] stored, string name, int maxSize)
    {
        var packed = Open(stored, name, maxSize);
        var payload = packed.AsSpan(1);
        if (packed[0] == Raw)
            return payload.ToArray();
        var output = new byte[DecompressedSize(payload, name, maxSize)];
        var written = Decompress(payload, output, name);
        return written == output.Length ? output : output.AsSpan(0, written).ToArray();
    }

    private void CheckId(ReadOnlySpan<byte> plaintext, ObjectId expectedId, string name)
    {
        if (Cipher.ComputeId(plaintext) != expectedId)
            throw new BulwarkException(ErrorKind.Integrity,
                $"object {name} is damaged: its content does not match its id",
                "run 'bulwark verify --read-data' to find every damaged object and the snapshots it breaks");
    }

    /// <summary>The packed form (encoding byte, payload), its size and encoding checked; a raw payload within <paramref name="maxSize"/>.</summary>
    private byte[] Open(byte[] stored, string name, int maxSize)
    {
        CheckStoredSize(stored.Length, name, maxSize);
        return CheckPacked(Cipher.Open(stored, name), name, maxSize).Array!;
    }

    // Sealing adds a nonce and a tag, encoding one byte, and zstd is only kept when smaller than the plaintext.
    private static void CheckStoredSize(int length, string name, int maxSize)
    {
        if (length > (long)maxSize + StoredOverhead)
            throw TooLarge(name, $"it is {length} bytes stored", maxSize);
    }

    private static ArraySegment<byte> CheckPacked(ArraySegment<byte> packed, string name, int maxSize)
    {
        if (packed.Count == 0)
            throw Damaged(name, "it is empty");
        if (packed[0] == Raw && packed.Count - 1 > maxSize)
            throw TooLarge(name, $"it holds {packed.Count - 1} bytes", maxSize);
        if (packed[0] is not (Raw or Zstd))
            throw Damaged(name, $"it has an unknown encoding {packed[0]}");
        return packed;
    }

    private static int DecompressedSize(ReadOnlySpan<byte> payload, string name, int maxSize)
    {
        // The frame header's size is the attacker's number: checked before it sizes a buffer. A frame that holds more
        // than its header says overflows that buffer and fails to decompress.
        ulong size;
        try
        {
            size = Decompressor.GetDecompressedSize(payload);
        }
        catch (ZstdException e)
        {
            throw Damaged(name, "it does not decompress (" + e.Message + ")");
        }
        if (size > (ulong)maxSize)
            throw TooLarge(name, $"its zstd header claims {size} bytes", maxSize);
        return (int)size;
    }

    private static int Decompress(ReadOnlySpan<byte> payload, Span<byte> output, string name)
    {
        try
        {
            var decompressor = s_decompressor ??= new Decompressor();
            return decompressor.Unwrap(payload, output, bufferSizePrecheck: false);
        }
        catch (ZstdException e)
        {
            throw Damaged(name, "it does not decompress (" + e.Message + ")");
        }
    }

    /// <summary>What sealing and encoding add to a plaintext at most (nonce, tag, encoding byte, with room to spare).</summary>
    internal const int StoredOverhead = 64;

    private static BulwarkException TooLarge(string name, string what, int maxSize) =>
        Damaged(name, $"{what}, more than the {ObjectLimits.Describe(maxSize)} it may hold");

    private static BulwarkException Damaged(string name, string why) =>
        new(ErrorKind.Integrity, $"object {name} is damaged: {why}",
            "run 'bulwark verify --read-data' to find every damaged object and the snapshots it breaks");
}
