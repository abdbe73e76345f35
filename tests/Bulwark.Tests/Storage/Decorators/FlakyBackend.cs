using System.Runtime.CompilerServices;
using Bulwark.Storage;

namespace Bulwark.Tests.Storage.Decorators;

/// <summary>
/// A hand-written fault injector (a real store cannot fail on demand): wraps a real backend and fails the next
/// calls with the given error, counting calls and the most that ran at once.
/// </summary>
internal sealed class FlakyBackend : IStorageBackend
{
    private readonly IStorageBackend _inner;
    private int _failuresLeft;
    private int _running;
    private int _maxRunning;
    private int _calls;

    public FlakyBackend(IStorageBackend inner)
    {
        _inner = inner;
    }

    /// <summary>What the failing calls throw.</summary>
    public Func<Exception> Failure { get; set; } = () => new StorageException("injected timeout", transient: true);

    /// <summary>A listing fails after this many objects (when failures are left).</summary>
    public int ListFailsAfter { get; set; }

    public TimeSpan Delay { get; set; }

    public int Calls => Volatile.Read(ref _calls);
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    public void FailNext(int count) => Volatile.Write(ref _failuresLeft, count);

    public string Location => _inner.Location;

    /// <summary>Whether it passes for a remote store (no local folder), so that callers take their object-store path.</summary>
    public bool Remote { get; init; }

    /// <summary>Its failures are transient, as a remote store's may be.</summary>
    public StorageCapabilities Capabilities => _inner.Capabilities with
    {
        TransientFailures = true,
        LocalFolder = Remote ? null : _inner.Capabilities.LocalFolder,
    };

    public Task CreateAsync(CancellationToken cancellationToken) => Call(() => _inner.CreateAsync(cancellationToken));

    /// <summary>The puts and folder syncs in the order they finished ("put NAME", "unsynced NAME", "sync FOLDER FOLDER").</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Writes { get; } = new();

    public Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            await _inner.PutAsync(name, data, cancellationToken);
            Writes.Enqueue($"put {name}");
        });

    public Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            await _inner.PutUnsyncedAsync(name, data, cancellationToken);
            Writes.Enqueue($"unsynced {name}");
        });

    public Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        Call(async () =>
        {
            await _inner.SyncFoldersAsync(prefixes, cancellationToken);
            Writes.Enqueue($"sync {string.Join(' ', prefixes)}");
        });

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        byte[] result = [];
        await Call(async () => result = await _inner.GetAsync(name, cancellationToken));
        return result;
    }

    public async Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        StorageObjectInfo? result = null;
        await Call(async () => result = await _inner.StatAsync(name, cancellationToken));
        return result;
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        var count = 0;
        await foreach (var item in _inner.ListAsync(prefix, cancellationToken))
        {
            if (count++ == ListFailsAfter && Interlocked.Decrement(ref _failuresLeft) >= 0)
                throw Failure();
            yield return item;
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken) => Call(() => _inner.DeleteAsync(name, cancellationToken));

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private async Task Call(Func<Task> action)
    {
        Interlocked.Increment(ref _calls);
        var running = Interlocked.Increment(ref _running);
        try
        {
            int max;
            while (running > (max = Volatile.Read(ref _maxRunning)) && Interlocked.CompareExchange(ref _maxRunning, running, max) != max)
            {
            }
            if (Delay > TimeSpan.Zero)
                await Task.Delay(Delay);
            if (Interlocked.Decrement(ref _failuresLeft) >= 0)
                throw Failure();
            await action();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
