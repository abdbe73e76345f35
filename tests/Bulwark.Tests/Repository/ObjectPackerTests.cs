using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Streams;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository;

public sealed class ObjectPackerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Packer_ReusedAcrossObjects_PacksEachAsTheCodecDoes()
    {
        var codec = new ObjectCodec(PlainCipher.Instance, 1);
        using var packer = codec.CreatePacker(1 << 20);
        var random = new Random(7);
        var reused = new byte[1 << 20];
        // Large then small, compressible then not: a reused buffer must never leak one object's bytes into the next.
        foreach (var (length, compressible) in new[] { (1 << 20, false), (300_000, true), (10, false), (500_000, false), (64, true) })
        {
            var plaintext = new byte[length];
            if (compressible)
                Array.Fill(plaintext, (byte)'a');
            else
                random.NextBytes(plaintext);
            var packed = packer.Pack(plaintext).ToArray();
            Assert.Equal(codec.Pack(plaintext), packed);
            Assert.Equal(compressible ? 1 : 0, packed[0]);
            Assert.Equal(plaintext, codec.Unpack(packed, codec.ComputeId(plaintext), "test", 1 << 20));
            // Read back into one buffer reused from object to object, as a restore reads chunks.
            var read = codec.Unpack(packed, codec.ComputeId(plaintext), "test", 1 << 20, reused);
            Assert.Equal(plaintext, reused.AsSpan(0, read).ToArray());
        }
    }

    [Fact]
    public void UnpackIntoABuffer_RefusesADamagedObject_AsUnpackDoes()
    {
        var codec = new ObjectCodec(PlainCipher.Instance, 1);
        var plaintext = new byte[200_000];
        Array.Fill(plaintext, (byte)'b');
        var id = codec.ComputeId(plaintext);
        var packed = codec.Pack(plaintext);
        packed[^5] ^= 0x40;
        var buffer = new byte[1 << 20];
        var error = Assert.Throws<BulwarkException>(() => codec.Unpack(packed, id, "chunks/ab/abc", 1 << 20, buffer));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains("chunks/ab/abc", error.Message);
        // Larger than the reader allows: refused before anything is decompressed.
        error = Assert.Throws<BulwarkException>(() => codec.Unpack(codec.Pack(plaintext), id, "chunks/ab/abc", 100_000, buffer));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
    }

    [Fact]
    public async Task Upload_WithOneWorker_RoundTripsCompressibleAndIncompressibleChunks()
    {
        using var dir = new TempDirectory();
        await using var repository = await ChunkStoreTests.NewRepositoryAsync(dir);
        var data = new byte[1_000_000];
        var random = new Random(11);
        for (var offset = 0; offset < data.Length; offset += 100_000)
        {
            if (offset / 100_000 % 2 == 0)
                random.NextBytes(data.AsSpan(offset, 100_000));
            else
                data.AsSpan(offset, 100_000).Fill((byte)(offset / 100_000));
        }
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>(), parallelism: 1);
        var entry = await uploader.UploadAsync("s", "test", new MemoryStream(data), cancellationToken: Ct);
        Assert.True(uploader.Statistics.StoredBytes < data.Length * 3 / 4);

        var output = new MemoryStream();
        await repository.CopyStreamAsync(entry, output, cancellationToken: Ct);
        Assert.Equal(data, output.ToArray());
    }
}
