using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Bulwark.Storage.Decorators;

/// <summary>
/// One debug line per call: what was done, how big and how long, or why it failed. Failures are not warnings here:
/// they reach the caller, which reports them once (the retry decorator warns about the ones it works around).
/// </summary>
internal sealed class LoggingBackend : IStorageBackend, IBackendDecorator
{
    private readonly IStorageBackend _inner;
    private readonly ILogger _logger;

    public LoggingBackend(IStorageBackend inner, ILogger logger)
    {
        _inner = inner;
        _logger = logger;
    }

    public IStorageBackend Inner => _inner;

    public string Location => _inner.Location;

    public StorageCapabilities Capabilities => _inner.Capabilities;

    public Task CreateAsync(CancellationToken cancellationToken) =>
        Logged("create", "", async () =>
        {
            await _inner.CreateAsync(cancellationToken).ConfigureAwait(false);
            return -1L;
        });

    public Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        _inner.CreateFoldersAsync(prefixes, cancellationToken);

    public Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Logged("put", name, async () =>
        {
            await _inner.PutAsync(name, data, cancellationToken).ConfigureAwait(false);
            return (long)data.Length;
        });

    public Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        Logged("put", name, async () =>
        {
            await _inner.PutUnsyncedAsync(name, data, cancellationToken).ConfigureAwait(false);
            return (long)data.Length;
        });

    public Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        Logged("sync", $"{prefixes.Count} folders", async () =>
        {
            await _inner.SyncFoldersAsync(prefixes, cancellationToken).ConfigureAwait(false);
            return -1L;
        });

    public async Task<byte[]> GetAsync(string name, CancellationToken cancellationToken)
    {
        byte[] result = [];
        await Logged("get", name, async () =>
        {
            result = await _inner.GetAsync(name, cancellationToken).ConfigureAwait(false);
            return result.Length;
        }).ConfigureAwait(false);
        return result;
    }

    public async Task<ArraySegment<byte>> GetAsync(string name, byte[] buffer, CancellationToken cancellationToken)
    {
        ArraySegment<byte> result = default;
        await Logged("get", name, async () =>
        {
            result = await _inner.GetAsync(name, buffer, cancellationToken).ConfigureAwait(false);
            return result.Count;
        }).ConfigureAwait(false);
        return result;
    }

    public async Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken)
    {
        StorageObjectInfo? result = null;
        await Logged("stat", name, async () =>
        {
            result = await _inner.StatAsync(name, cancellationToken).ConfigureAwait(false);
            return result?.Size ?? -1;
        }).ConfigureAwait(false);
        return result;
    }

    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var count = 0;
        await using var enumerator = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogDebug("{Location}: list {Prefix} failed after {Count} objects: {Error}", _inner.Location,
                    prefix, count, e.Message);
                throw;
            }
            if (!more)
                break;
            count++;
            yield return enumerator.Current;
        }
        _logger.LogDebug("{Location}: list {Prefix}: {Count} objects in {Ms:0} ms", _inner.Location, prefix, count,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        Logged("delete", name, async () =>
        {
            await _inner.DeleteAsync(name, cancellationToken).ConfigureAwait(false);
            return -1L;
        });

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private static string Prefixed(string name) => name.Length == 0 ? "" : " " + name;

    private async Task Logged(string action, string name, Func<Task<long>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var bytes = await call().ConfigureAwait(false);
            if (_logger.IsEnabled(LogLevel.Debug))
                _logger.LogDebug("{Location}: {Action}{Name}{Bytes} in {Ms:0} ms", _inner.Location, action, Prefixed(name),
                    bytes >= 0 ? $" ({bytes} bytes)" : "", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (ObjectNotFoundException)
        {
            _logger.LogDebug("{Location}: {Action}{Name}: not found", _inner.Location, action, Prefixed(name));
            throw;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _logger.LogDebug("{Location}: {Action}{Name} failed: {Error}", _inner.Location, action, Prefixed(name), e.Message);
            throw;
        }
    }
}
