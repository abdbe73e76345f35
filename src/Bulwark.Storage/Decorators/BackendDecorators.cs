using Microsoft.Extensions.Logging;

namespace Bulwark.Storage.Decorators;

/// <summary>
/// Wrappers that add one concern to any backend. StorageSetup composes them (innermost first): concurrency limit,
/// then retries (so that a backoff does not hold a connection slot), then logging (one line per logical call).
/// </summary>
public static class BackendDecorators
{
    /// <summary>Retries transient failures (<see cref="BulwarkException.IsTransient"/>) with backoff.</summary>
    public static IStorageBackend WithRetries(this IStorageBackend backend, RetryPolicy policy, TimeProvider time,
        ILogger? logger = null) =>
        policy.MaxRetries <= 0 ? backend : new RetryingBackend(backend, policy, time, logger);

    /// <summary>At most <paramref name="limit"/> requests at once; 0 or less means no limit.</summary>
    public static IStorageBackend WithConcurrencyLimit(this IStorageBackend backend, int limit) =>
        limit <= 0 ? backend : new LimitedBackend(backend, limit);

    /// <summary>Logs every call, and how it ended, at debug level.</summary>
    public static IStorageBackend WithLogging(this IStorageBackend backend, ILogger logger) =>
        logger.IsEnabled(LogLevel.Debug) ? new LoggingBackend(backend, logger) : backend;
}
