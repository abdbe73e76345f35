using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Threading.Channels;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Streams;

/// <summary>
/// Streams stored one after another by one set of workers: <see cref="AddAsync"/> returns once a stream is read and
/// its chunks are queued, and <see cref="CompleteAsync"/> once every chunk is stored. A stream per call of
/// <see cref="StreamUploader.UploadAsync"/> waits for its last chunk to be durable (an fsync, a round trip) before the
/// next begins, which made a base backup of a thousand small files wait a thousand times.
/// </summary>
public sealed class StreamBatch : IAsyncDisposable
{
    private readonly StreamUploader _uploader;
    private readonly CancellationTokenSource _failure;
    private readonly Channel<(Pending Stream, int Index, StreamUploader.Buffer Chunk)> _work;
    private readonly List<Task> _workers;
    private readonly List<Pending> _streams = [];
    private readonly byte[] _window;
    private Exception? _error;
    private bool _completed;

    internal StreamBatch(StreamUploader uploader, int queue, CancellationToken cancellationToken)
    {
        _uploader = uploader;
        _failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _work = Channel.CreateBounded<(Pending, int, StreamUploader.Buffer)>(new BoundedChannelOptions(queue) { SingleWriter = true });
        _window = new byte[ChunkReader.WindowSize(uploader.Repository.Chunker)];
        _workers = Enumerable.Range(0, uploader.Parallelism).Select(_ => Task.Run(WorkAsync)).ToList();
    }

    /// <summary>
    /// Reads <paramref name="source"/> to its end and queues its chunks; its entry comes from <see cref="CompleteAsync"/>.
    /// Returns the stream's size and SHA-256 (hex), known once it is read.
    /// </summary>
    public async Task<(long Size, string Sha256)> AddAsync(string name, string kind, Stream source, IReadOnlyDictionary<string, string>? attributes = null,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        var stream = new Pending(name, kind, attributes);
        _streams.Add(stream);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_failure.Token, cancellationToken);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            var reader = new ChunkReader(_uploader.Repository.Chunker, source, _window);
            while (true)
            {
                var chunk = await reader.NextAsync(linked.Token).ConfigureAwait(false);
                if (chunk.IsEmpty)
                    break;
                hash.AppendData(chunk.Span);
                stream.Size += chunk.Length;
                await _work.Writer.WriteAsync((stream, stream.Reserve(), new StreamUploader.Buffer(_uploader.Buffers, chunk.Span, 1)),
                    linked.Token).ConfigureAwait(false);
                progress?.Report(chunk.Length);
            }
        }
        catch (OperationCanceledException) when (_error is not null)
        {
            ExceptionDispatchInfo.Throw(_error);
        }
        stream.Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        return (stream.Size, stream.Sha256);
    }

    /// <summary>Waits until every queued chunk is stored; the streams' entries in the order they were added.</summary>
    public async Task<IReadOnlyList<StreamEntry>> CompleteAsync()
    {
        _completed = true;
        _work.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        if (_error is not null)
            ExceptionDispatchInfo.Throw(_error);
        _failure.Token.ThrowIfCancellationRequested();
        return _streams.Select(s => s.Entry()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        _completed = true;
        _work.Writer.TryComplete();
        await _failure.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _failure.Dispose();
    }

    private async Task WorkAsync()
    {
        using var slot = new StreamUploader.PackerSlot();
        try
        {
            await foreach (var (stream, index, chunk) in _work.Reader.ReadAllAsync(_failure.Token).ConfigureAwait(false))
            {
                stream.Set(index, await _uploader.StoreChunkAsync(chunk, slot, _failure.Token).ConfigureAwait(false));
            }
        }
        catch (OperationCanceledException) when (_failure.IsCancellationRequested)
        {
            // the batch was abandoned, or another worker failed (its error is the one reported)
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, e, null);
            await _failure.CancelAsync().ConfigureAwait(false);
        }
    }

    private sealed class Pending(string name, string kind, IReadOnlyDictionary<string, string>? attributes)
    {
        private readonly List<ChunkRef> _chunks = [];

        public long Size { get; set; }
        public string Sha256 { get; set; } = "";

        public int Reserve()
        {
            lock (_chunks)
            {
                _chunks.Add(default);
                return _chunks.Count - 1;
            }
        }

        public void Set(int index, ChunkRef chunk)
        {
            lock (_chunks)
                _chunks[index] = chunk;
        }

        public StreamEntry Entry() => new()
        {
            Name = name,
            Kind = kind,
            Size = Size,
            Sha256 = Sha256,
            Chunks = _chunks,
            Attributes = attributes,
        };
    }
}
