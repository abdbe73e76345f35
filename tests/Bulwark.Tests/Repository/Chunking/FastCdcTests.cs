using Bulwark.Repository.Chunking;

namespace Bulwark.Tests.Repository.Chunking;

public sealed class FastCdcTests
{
    private static readonly ChunkerParameters Small = new(2 * 1024, 8 * 1024, 32 * 1024, 0);

    private static List<byte[]> Chunks(byte[] data, ChunkerParameters parameters)
    {
        var reader = new ChunkReader(new FastCdc(parameters), new MemoryStream(data));
        var chunks = new List<byte[]>();
        while (true)
        {
            var chunk = reader.NextAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (chunk.IsEmpty)
                return chunks;
            chunks.Add(chunk.ToArray());
        }
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void Chunking_IsDeterministic()
    {
        var data = RandomBytes(1 << 20, 1);
        var first = Chunks(data, Small).Select(c => c.Length).ToList();
        var second = Chunks(data, Small).Select(c => c.Length).ToList();
        Assert.Equal(first, second);
        Assert.True(first.Count > 10);
    }

    [Fact]
    public void Chunks_ConcatenateToTheInput_AndRespectTheSizeBounds()
    {
        var data = RandomBytes(3 << 20, 2);
        var chunks = Chunks(data, Small);
        Assert.Equal(data, chunks.SelectMany(c => c).ToArray());
        Assert.All(chunks.SkipLast(1), c => Assert.InRange(c.Length, Small.MinSize + 1, Small.MaxSize));
        var average = chunks.Average(c => c.Length);
        Assert.InRange(average, Small.AverageSize * 0.5, Small.AverageSize * 2.0);
    }

    [Fact]
    public void DefaultParameters_AverageNearTheTarget()
    {
        var data = RandomBytes(64 << 20, 3);
        var chunks = Chunks(data, ChunkerParameters.Default);
        var average = chunks.Average(c => c.Length);
        Assert.InRange(average, 200 * 1024, 330 * 1024);
    }

    [Fact]
    public void InsertionEarlyInTheStream_ChangesOnlyNearbyChunks()
    {
        var data = RandomBytes(2 << 20, 4);
        var edited = data.Take(10_000).Concat(RandomBytes(100, 99)).Concat(data.Skip(10_000)).ToArray();
        var before = Chunks(data, Small).Select(Convert.ToHexString).ToHashSet();
        var after = Chunks(edited, Small).Select(Convert.ToHexString).ToList();
        var changed = after.Count(c => !before.Contains(c));
        Assert.InRange(changed, 1, 3);
        Assert.True(after.Count > 100);
    }

    [Fact]
    public void Chunker_CutsOtherBoundaries_WhenSeeded()
    {
        var data = RandomBytes(1 << 20, 5);
        var plain = Chunks(data, Small).Select(c => c.Length).ToList();
        var seeded = Chunks(data, Small with { Seed = 12345 }).Select(c => c.Length).ToList();
        Assert.NotEqual(plain, seeded);
    }

    [Fact]
    public void ShortAndEmptyStreams_AreHandled()
    {
        Assert.Empty(Chunks([], Small));
        var tiny = RandomBytes(100, 6);
        var chunks = Chunks(tiny, Small);
        Assert.Single(chunks);
        Assert.Equal(tiny, chunks[0]);
    }

    [Fact]
    public void InvalidParameters_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => new FastCdc(new ChunkerParameters(1024, 1000, 4096, 0)));
        Assert.Throws<ArgumentException>(() => new FastCdc(new ChunkerParameters(8192, 4096, 16384, 0)));
    }
}
