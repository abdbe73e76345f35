using System.IO.Pipelines;
using System.Security.Cryptography;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Streams;

/// <summary>
/// Reads a stored stream back: chunks are fetched ahead in parallel, checked against their ids, written in order,
/// and the whole stream's length and SHA-256 are compared with the manifest at the end.
/// </summary>
public static class StreamReading
{
    /// <summary>Chunks fetched ahead of the one being written.</summary>
    public const int DefaultReadAhead = 8;

    /// <summary>Writes the stream to <paramref name="destination"/>; throws an integrity error if anything differs.</summary>
    public static async Task CopyStreamAsync(this BackupRepository repository, StreamEntry entry, Stream destination,
        IProgress<long>? progress = null, int readAhead = DefaultReadAhead, CancellationToken cancellationToken = default)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var buffers = repository.ChunkBuffers;
        var pending = new Queue<Task<(byte[] Buffer, int Length)>>();
        var next = 0;
        long written = 0;
        try
        {
            while (next < entry.Chunks.Count || pending.Count > 0)
            {
                while (next < entry.Chunks.Count && pending.Count < readAhead)
                {
                    var chunk = entry.Chunks[next++];
                    pending.Enqueue(Task.Run(() => repository.ReadChunkAsync(chunk, buffers, stop.Token), stop.Token));
                }
                var (buffer, length) = await pending.Dequeue().ConfigureAwait(false);
                var data = buffer.AsMemory(0, length);
                hash.AppendData(data.Span);
                await destination.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                buffers.Return(buffer);
                written += length;
                progress?.Report(length);
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var task in pending)
                _ = task.ContinueWith(t => t.Exception, TaskScheduler.Default); // observed: the first error is the one reported
            throw;
        }
        var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (written != entry.Size || sha != entry.Sha256)
            throw new BulwarkException(ErrorKind.Integrity,
                $"stream {entry.Name} does not match its manifest (size {written} instead of {entry.Size}, SHA-256 {sha[..12]}… instead of {entry.Sha256[..12]}…)",
                "run 'bulwark verify --read-data'; restore an older snapshot if this one is damaged");
    }

    /// <summary>
    /// The stream as a readable <see cref="Stream"/>. A damaged chunk or a checksum mismatch surfaces as an
    /// exception from Read at the point it is found (the checksum at the end of the stream).
    /// </summary>
    public static Stream OpenStream(this BackupRepository repository, StreamEntry entry,
        CancellationToken cancellationToken = default)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 4 << 20, resumeWriterThreshold: 2 << 20));
        _ = Task.Run(async () =>
        {
            Exception? error = null;
            try
            {
                await using var writer = pipe.Writer.AsStream(leaveOpen: true);
                await repository.CopyStreamAsync(entry, writer, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                error = e;
            }
            await pipe.Writer.CompleteAsync(error).ConfigureAwait(false);
        }, CancellationToken.None);
        return pipe.Reader.AsStream();
    }
}
