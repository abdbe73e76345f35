using ZstdNet;

namespace Bulwark.Repository.Format;

/// <summary>
/// Packs objects one after another with one zstd context and one output buffer, so that storing a stream allocates
/// nothing per chunk. Not thread-safe: one per worker. The memory <see cref="Pack"/> returns is valid until its next call.
/// </summary>
public sealed class ObjectPacker : IDisposable
{
    private readonly ObjectCodec _codec;
    private readonly Compressor _compressor;
    private readonly byte[] _buffer;

    internal ObjectPacker(ObjectCodec codec, Compressor compressor, int maxPlaintext)
    {
        _codec = codec;
        _compressor = compressor;
        _buffer = new byte[ObjectCodec.PackBound(maxPlaintext)];
    }

    /// <summary>The stored form of <paramref name="plaintext"/> (at most the size this packer was made for).</summary>
    public ReadOnlyMemory<byte> Pack(ReadOnlySpan<byte> plaintext) => _codec.Pack(plaintext, _compressor, _buffer);

    public void Dispose() => _compressor.Dispose();
}
