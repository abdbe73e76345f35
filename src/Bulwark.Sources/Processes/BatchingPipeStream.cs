using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace Bulwark.Sources.Processes;

/// <summary>
/// Reads a program's output pipe in batches. pg_dump writes 4 KiB at a time; reading each write as it comes (an epoll
/// wake-up, a failed read and a thread-pool hand-off per 4 KiB) cost a backup more CPU than chunking and hashing did.
/// Here the pipe is enlarged to 1 MiB and read once it holds a batch, or after a few milliseconds of whatever is
/// there. Elsewhere than Linux, or when the pipe cannot be enlarged, reads go straight to the pipe.
/// </summary>
public sealed partial class BatchingPipeStream : Stream
{
    private const int PipeSize = 1 << 20;
    private const int Batch = 256 * 1024;
    private const int MaxWaitsWithData = 4;
    private const int MaxIdleWaitMs = 8;
    private readonly PipeStream _pipe;
    private readonly int _fd;

    private BatchingPipeStream(PipeStream pipe, int fd)
    {
        _pipe = pipe;
        _fd = fd;
    }

    /// <summary><paramref name="stream"/> read in batches when it is a pipe that can hold one; else itself.</summary>
    public static Stream Wrap(Stream stream)
    {
        // A smaller pipe would stall the writer between our reads: then batching costs more than it saves.
        if (stream is not PipeStream { CanRead: true } pipe || !TryEnlarge(pipe))
            return stream;
        return new BatchingPipeStream(pipe, (int)pipe.SafePipeHandle.DangerousGetHandle());
    }

    /// <summary>
    /// Makes a pipe hold 1 MiB (Linux only); false when it cannot. Writing into a program's input, a large pipe lets most
    /// writes complete at once instead of waiting for the reader 64 KiB at a time.
    /// </summary>
    public static bool TryEnlarge(Stream stream) =>
        OperatingSystem.IsLinux() && stream is PipeStream pipe &&
        Fcntl((int)pipe.SafePipeHandle.DangerousGetHandle(), SetPipeSize, PipeSize) >= PipeSize;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty)
            return 0;
        var want = Math.Min(buffer.Length, Batch);
        var waitsWithData = 0;
        var idleWait = 1;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var available = Available();
            if (available < 0)
                return await _pipe.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            // With bytes waiting, or at the end of the output, a read returns at once.
            if (available >= want || (available > 0 && waitsWithData >= MaxWaitsWithData) || (available == 0 && WriterClosed()))
                return _pipe.Read(buffer.Span);
            if (available > 0)
            {
                waitsWithData++;
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await Task.Delay(idleWait, cancellationToken).ConfigureAwait(false);
                idleWait = Math.Min(idleWait * 2, MaxIdleWaitMs);
            }
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => _pipe.Read(buffer, offset, count);

    public override int Read(Span<byte> buffer) => _pipe.Read(buffer);

    private int Available()
    {
        var count = 0;
        return Ioctl(_fd, BytesAvailable, ref count) == 0 ? count : -1;
    }

    private bool WriterClosed()
    {
        var poll = new PollFd { Fd = _fd, Events = PollIn };
        return Poll(ref poll, 1, 0) > 0 && (poll.Revents & PollHangUp) != 0;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _pipe.Dispose();
        base.Dispose(disposing);
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ
    private const ulong BytesAvailable = 0x541B; // FIONREAD
    private const short PollIn = 0x1;
    private const short PollHangUp = 0x10;

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl")]
    private static partial int Ioctl(int fd, ulong request, ref int argument);

    [LibraryImport("libc", EntryPoint = "poll")]
    private static partial int Poll(ref PollFd fds, ulong count, int timeoutMs);
}
