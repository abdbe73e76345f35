using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Threading.Channels;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Streams;

/// <summary>
/// Stores streams into a repository: cuts them into content-defined chunks, hashes the whole stream, and hands
/// chunks to parallel workers that hash, compress, seal and upload those the repository does not hold yet.
/// Memory is bounded by the queue length times the maximum chunk size. One uploader serves one backup, so chunks
/// repeated across its streams are stored once.
/// </summary>
public sealed class StreamUploader
{
    private readonly BackupRepository _repository;
    private readonly IReadOnlySet<ObjectId> _known;
    private readonly ConcurrentDictionary<ObjectId, byte> _written = new();
    private readonly int _parallelism;
    private readonly BufferPool _buffers;

    /// <summary>Chunks waiting for a worker.</summary>
    private const int WorkQueue = 2;

    /// <summary>Chunks waiting for the observers (fingerprints), which are faster than the workers.</summary>
    private const int ObserveQueue = 4;

    /// <param name="repository">Where chunks go.</param>
    /// <param name="knownChunks">Chunks referenced by committed snapshots; only those are not written again (a chunk file
    /// nothing refers to may be cut off: <see cref="Storage.IStorageBackend.PutUnsyncedAsync"/>).</param>
    /// <param name="parallelism">Chunks hashed, compressed and uploaded at once.</param>
    public StreamUploader(BackupRepository repository, IReadOnlySet<ObjectId> knownChunks, int parallelism = 0)
    {
        _repository = repository;
        _known = knownChunks;
        // Workers mostly wait on storage (an fsync, a network round trip): several per core keep the CPU busy.
        _parallelism = parallelism > 0 ? parallelism : Math.Clamp(Environment.ProcessorCount * 4, 4, 32);
        _buffers = new BufferPool(repository.Chunker.Parameters.MaxSize);
    }

    public UploadStatistics Statistics { get; } = new();

    internal BackupRepository Repository => _repository;
    internal int Parallelism => _parallelism;
    internal BufferPool Buffers => _buffers;

    /// <summary>
    /// Starts a batch: streams read one after another whose chunks are stored by workers shared across them, so that
    /// reading the next stream overlaps storing this one (a base backup's thousand small files).
    /// </summary>
    public StreamBatch StartBatch(CancellationToken cancellationToken) => new(this, WorkQueue, cancellationToken);

    /// <summary>Chunks this uploader wrote (not reused).</summary>
    public ICollection<ObjectId> WrittenChunks => _written.Keys;

    /// <summary>Reads <paramref name="source"/> to its end and stores it; returns the manifest entry.</summary>
    public async Task<StreamEntry> UploadAsync(string name, string kind, Stream source,
        IReadOnlyList<IStreamObserver>? observers = null, IReadOnlyDictionary<string, string>? attributes = null,
        IProgress<long>? progress = null, CancellationToken cancellationToken = default)
    {
        using var failure = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ct = failure.Token;
        // Chunking outruns the workers, so a short queue keeps them fed: every queued chunk is a buffer held.
        var work = Channel.CreateBounded<(int Index, Buffer Chunk)>(
            new BoundedChannelOptions(WorkQueue) { SingleWriter = true });
        var observe = observers is { Count: > 0 }
            ? Channel.CreateBounded<Buffer>(new BoundedChannelOptions(ObserveQueue) { SingleWriter = true, SingleReader = true })
            : null;
        var refs = new List<ChunkRef>();
        var workers = Enumerable.Range(0, _parallelism)
            .Select(_ => Task.Run(() => Workers.StopOthersOnFailure(WorkAsync(work.Reader, refs, ct), failure), ct)).ToList();
        var observer = observe is null
            ? Task.CompletedTask
            : Task.Run(() => Workers.StopOthersOnFailure(ObserveAsync(observe.Reader, observers!, ct), failure), ct);

        using var streamHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = 0;
        Exception? producerError = null;
        try
        {
            var reader = new Chunking.ChunkReader(_repository.Chunker, source);
            while (true)
            {
                var chunk = await reader.NextAsync(ct).ConfigureAwait(false);
                if (chunk.IsEmpty)
                    break;
                streamHash.AppendData(chunk.Span);
                size += chunk.Length;
                var buffer = new Buffer(_buffers, chunk.Span, observe is null ? 1 : 2);
                int index;
                lock (refs)
                {
                    index = refs.Count;
                    refs.Add(default);
                }
                if (observe is not null)
                    await observe.Writer.WriteAsync(buffer, ct).ConfigureAwait(false);
                await work.Writer.WriteAsync((index, buffer), ct).ConfigureAwait(false);
                progress?.Report(chunk.Length);
            }
        }
        catch (Exception e)
        {
            producerError = e;
            await failure.CancelAsync().ConfigureAwait(false);
        }
        work.Writer.TryComplete();
        observe?.Writer.TryComplete();
        var consumers = workers.Append(observer).ToList();
        try
        {
            await Task.WhenAll(consumers).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Inspected below: the first failure that is not a cancellation it caused is the one to report.
        }
        var errors = consumers.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToList();
        if (producerError is not null)
            errors.Insert(0, producerError);
        var cause = errors.FirstOrDefault(e => e is not OperationCanceledException);
        if (cause is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(cause);
        if (errors.Count > 0 || consumers.Any(t => t.IsCanceled))
            throw new OperationCanceledException(cancellationToken);
        return new StreamEntry
        {
            Name = name,
            Kind = kind,
            Size = size,
            Sha256 = Convert.ToHexStringLower(streamHash.GetHashAndReset()),
            Chunks = refs,
            Attributes = attributes,
        };
    }

    private async Task WorkAsync(ChannelReader<(int Index, Buffer Chunk)> reader, List<ChunkRef> refs,
        CancellationToken ct)
    {
        using var slot = new PackerSlot();
        await foreach (var (index, chunk) in reader.ReadAllAsync(ct).ConfigureAwait(false))
            await StoreAsync(index, chunk).ConfigureAwait(false);

        async Task StoreAsync(int index, Buffer chunk)
        {
            var stored = await StoreChunkAsync(chunk, slot, ct).ConfigureAwait(false);
            lock (refs)
                refs[index] = stored;
        }
    }

    /// <summary>
    /// Stores a chunk unless the repository or this uploader already holds it; its reference. The chunk's buffer is
    /// released once the chunk is packed, before the write: a worker waiting on storage holds only the packed bytes.
    /// </summary>
    internal async Task<ChunkRef> StoreChunkAsync(Buffer chunk, PackerSlot slot, CancellationToken ct)
    {
        var length = chunk.Data.Length;
        ObjectId id;
        ReadOnlyMemory<byte> packed;
        try
        {
            id = _repository.Codec.ComputeId(chunk.Data.Span);
            if (_known.Contains(id) || !_written.TryAdd(id, 0))
            {
                Statistics.AddReused(length);
                return new ChunkRef(id, length);
            }
            // Created on first use: a worker that only sees known chunks needs no zstd context.
            slot.Packer ??= _repository.Codec.CreatePacker(_repository.Chunker.Parameters.MaxSize);
            packed = slot.Packer.Pack(chunk.Data.Span);
        }
        finally
        {
            chunk.Release();
        }
        await _repository.WriteChunkAsync(id, packed, ct).ConfigureAwait(false);
        Statistics.AddNew(length, packed.Length);
        return new ChunkRef(id, length);
    }

    /// <summary>A worker's zstd context, made when it first packs a chunk.</summary>
    internal sealed class PackerSlot : IDisposable
    {
        public ObjectPacker? Packer { get; set; }

        public void Dispose() => Packer?.Dispose();
    }

    private static async Task ObserveAsync(ChannelReader<Buffer> reader, IReadOnlyList<IStreamObserver> observers,
        CancellationToken ct)
    {
        await foreach (var chunk in reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            try
            {
                foreach (var observer in observers)
                    observer.Observe(chunk.Data.Span);
            }
            finally
            {
                chunk.Release();
            }
        }
        foreach (var observer in observers)
            observer.Complete();
    }

    /// <summary>A pooled copy of one chunk, returned to the pool when every consumer released it.</summary>
    internal sealed class Buffer
    {
        private readonly BufferPool _pool;
        private readonly byte[] _array;
        private readonly int _length;
        private int _owners;

        public Buffer(BufferPool pool, ReadOnlySpan<byte> data, int owners)
        {
            _pool = pool;
            _array = pool.Rent();
            data.CopyTo(_array);
            _length = data.Length;
            _owners = owners;
        }

        public ReadOnlyMemory<byte> Data => _array.AsMemory(0, _length);

        public void Release()
        {
            if (Interlocked.Decrement(ref _owners) == 0)
                _pool.Return(_array);
        }
    }
}
