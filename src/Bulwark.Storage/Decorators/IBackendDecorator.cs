namespace Bulwark.Storage.Decorators;

/// <summary>A backend that wraps another (retries, limits, logging); lets callers reach the backend underneath.</summary>
public interface IBackendDecorator
{
    IStorageBackend Inner { get; }
}
