using System.Diagnostics;
using System.Security.Cryptography;
using Bulwark.Sources.Processes;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Processes;

public sealed class BatchingPipeStreamTests
{
    [Fact]
    public async Task AProgramsOutput_WrittenInSmallPiecesWithPauses_IsReadWhole_AndInOrder()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "pipes are batched on Linux only");
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var expected = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        var file = dir.Combine("data");
        await File.WriteAllBytesAsync(file, expected, ct);
        // 4 KiB writes like pg_dump's, with pauses: the reader sees partial batches, idle pipes and the end.
        var script = $"dd if={file} bs=4096 count=300 status=none; sleep 0.05; dd if={file} bs=4096 skip=300 status=none";
        await using var run = ProcessRunner.Start("bash", ["-c", script], null, redirectInput: false, redirectOutput: true, ct);
        var stream = BatchingPipeStream.Wrap(run.StandardOutput);
        Assert.IsType<BatchingPipeStream>(stream);

        using var copy = new MemoryStream();
        var buffer = new byte[2 * 1024 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer.AsMemory(), ct)) > 0)
            copy.Write(buffer, 0, read);
        Assert.Equal(0, await run.WaitAsync(ct));
        Assert.Equal(SHA256.HashData(expected), SHA256.HashData(copy.ToArray()));
    }

    [Fact]
    public async Task ARead_OfAQuietProgram_StopsOnCancellation()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "pipes are batched on Linux only");
        await using var run = ProcessRunner.Start("bash", ["-c", "printf x; sleep 30"], null, redirectInput: false,
            redirectOutput: true, TestContext.Current.CancellationToken);
        var stream = BatchingPipeStream.Wrap(run.StandardOutput);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var watch = Stopwatch.StartNew();
        var buffer = new byte[1024 * 1024];
        // One byte arrives and stays alone: it is handed over after a short wait, then the reader waits for more.
        Assert.Equal(1, await stream.ReadAsync(buffer.AsMemory(), TestContext.Current.CancellationToken));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            if (await stream.ReadAsync(buffer.AsMemory(), cts.Token) > 0)
                Assert.Fail("a quiet program gave more data");
        });
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public void AStreamThatIsNotAPipe_IsReadAsItIs()
    {
        using var memory = new MemoryStream([1, 2, 3]);
        Assert.Same(memory, BatchingPipeStream.Wrap(memory));
    }
}
