using System.Runtime.CompilerServices;

namespace Bulwark.Storage.Decorators;

/// <summary>
/// Lets at most a fixed number of requests run at once, so that parallel uploads do not open more connections
/// than the store (or the link) handles well. A listing holds a slot only while it fetches.
/// </summary>
internal sealed class LimitedBackend : IStorageBackend, IBackendDecorator
{
    private readonly IStorageBackend _inner;
    private readonly SemaphoreSlim _slots;

    public LimitedBackend(IStorageBackend inner, int limit)
    {
        _inner = inner;
        _slots = new SemaphoreSlim(limit, limit);
    }

    public IStorageBackend Inner => _inner;

    public string Location => _inner.Location;

    public StorageCapabilities Capabilities => _inner.Capabilities;

    public async Task CreateAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.CreateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        _inner.CreateFoldersAsync(prefixes, cancellationToken);

    public Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Limited(() => _inner.PutAsync(name, data, cancellationToken), cancellationToken);

    public Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Limited(() => _inner.PutUnsyncedAsync(name, data, cancellationToken), cancellationToken);

    public Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        _inner.SyncFoldersAsync(prefixes, cancellationToken);

    private async Task Limited(Func<Task> call, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await call().ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _inner.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async Task<ArraySegment<byte>> GetAsync(string name, byte[] buffer, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _inner.GetAsync(name, buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await _inner.StatAsync(name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var enumerator = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            finally
            {
                _slots.Release();
            }
            if (!more)
                yield break;
            yield return enumerator.Current;
        }
    }

    public async Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _inner.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _inner.DisposeAsync().ConfigureAwait(false);
        _slots.Dispose();
    }
}
