using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Bulwark.Storage.Decorators;

/// <summary>
/// Retries transient failures with exponential backoff and jitter; a permanent failure (not found, access denied, a
/// missing bucket) goes straight to the caller. Every backend call is idempotent, so a retry is always safe.
/// </summary>
internal sealed class RetryingBackend : IStorageBackend, IBackendDecorator
{
    private readonly IStorageBackend _inner;
    private readonly ResiliencePipeline _pipeline;
    private readonly RetryPolicy _policy;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;

    public RetryingBackend(IStorageBackend inner, RetryPolicy policy, TimeProvider time, ILogger? logger)
    {
        _inner = inner;
        _policy = policy;
        _time = time;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<BulwarkException>(e => e.IsTransient),
                MaxRetryAttempts = policy.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = policy.BaseDelay,
                MaxDelay = policy.MaxDelay,
                OnRetry = args =>
                {
                    LogRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return default;
                },
            })
            .Build();
    }

    public IStorageBackend Inner => _inner;

    public string Location => _inner.Location;

    public StorageCapabilities Capabilities => _inner.Capabilities;

    public Task CreateAsync(CancellationToken cancellationToken) =>
        Run(static (b, _, ct) => b.CreateAsync(ct), "", cancellationToken);

    public Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        Run((b, _, ct) => b.CreateFoldersAsync(prefixes, ct), "", cancellationToken);

    public Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Inner.PutAsync(state.Name, state.Data, ct).ConfigureAwait(false),
            (Inner: _inner, Name: name, Data: data), cancellationToken).AsTask();

    public Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Inner.PutUnsyncedAsync(state.Name, state.Data, ct).ConfigureAwait(false),
            (Inner: _inner, Name: name, Data: data), cancellationToken).AsTask();

    public Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) =>
        Run((b, _, ct) => b.SyncFoldersAsync(prefixes, ct), "", cancellationToken);

    public Task<byte[]> GetAsync(string name, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Inner.GetAsync(state.Name, ct).ConfigureAwait(false),
            (Inner: _inner, Name: name), cancellationToken).AsTask();

    public Task<ArraySegment<byte>> GetAsync(string name, byte[] buffer, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Inner.GetAsync(state.Name, state.Buffer, ct).ConfigureAwait(false),
            (Inner: _inner, Name: name, Buffer: buffer), cancellationToken).AsTask();

    public Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Inner.StatAsync(state.Name, ct).ConfigureAwait(false),
            (Inner: _inner, Name: name), cancellationToken).AsTask();

    public Task DeleteAsync(string name, CancellationToken cancellationToken) =>
        Run(static (b, n, ct) => b.DeleteAsync(n, ct), name, cancellationToken);

    /// <summary>
    /// A listing that fails part-way is started again; names already returned are not returned twice.
    /// </summary>
    public async IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var attempt = 0;
        var enumerator = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (BulwarkException e) when (e.IsTransient && attempt < _policy.MaxRetries)
                {
                    attempt++;
                    var delay = Backoff(attempt);
                    LogRetry(attempt, delay, e);
                    await enumerator.DisposeAsync().ConfigureAwait(false);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    enumerator = _inner.ListAsync(prefix, cancellationToken).GetAsyncEnumerator(cancellationToken);
                    continue;
                }
                if (!more)
                    yield break;
                if (seen.Add(enumerator.Current.Name))
                    yield return enumerator.Current;
            }
        }
        finally
        {
            await enumerator.DisposeAsync().ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    private Task Run(Func<IStorageBackend, string, CancellationToken, Task> action, string name,
        CancellationToken cancellationToken) =>
        _pipeline.ExecuteAsync(static async (state, ct) =>
                await state.Action(state.Inner, state.Name, ct).ConfigureAwait(false),
            (Inner: _inner, Action: action, Name: name), cancellationToken).AsTask();

    private TimeSpan Backoff(int attempt)
    {
        var exponential = _policy.BaseDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var jittered = exponential * (0.5 + Random.Shared.NextDouble() / 2);
        return TimeSpan.FromMilliseconds(Math.Min(jittered, _policy.MaxDelay.TotalMilliseconds));
    }

    private void LogRetry(int attempt, TimeSpan delay, Exception? error) =>
        _logger?.LogWarning("{Location}: {Error}; retry {Attempt} of {Max} in {Delay:0.0} s", _inner.Location,
            error?.Message ?? "failed", attempt, _policy.MaxRetries, delay.TotalSeconds);
}
