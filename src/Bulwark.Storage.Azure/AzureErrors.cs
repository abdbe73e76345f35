using System.Net.Sockets;
using Azure;

namespace Bulwark.Storage.Azure;

/// <summary>
/// Turns SDK failures into the storage contract's errors: a missing blob is <see cref="ObjectNotFoundException"/>;
/// timeouts, throttling, 5xx answers and dropped connections are transient; refused credentials, a missing container
/// and other 4xx answers are permanent, with what to do about them.
/// </summary>
internal sealed class AzureErrors
{
    private readonly string _location;
    private readonly string _container;
    private readonly string _endpoint;

    public AzureErrors(string location, string container, string endpoint)
    {
        _location = location;
        _container = container;
        _endpoint = endpoint;
    }

    public static bool IsMapped(Exception e, CancellationToken cancellationToken) =>
        !(e is OperationCanceledException && cancellationToken.IsCancellationRequested) &&
        e is RequestFailedException or HttpRequestException or IOException or OperationCanceledException or
            SocketException or TimeoutException or AggregateException;

    public StorageException Map(Exception e, string action, string name)
    {
        var what = name.Length == 0 ? _location : $"'{name}' in {_location}";
        if (e is RequestFailedException { Status: > 0 } failed)
        {
            var code = failed.ErrorCode ?? "";
            var status = failed.Status;
            if (code == "BlobNotFound" || (status == 404 && code.Length == 0 && name.Length > 0))
                return new ObjectNotFoundException(_location, name);
            if (code == "ContainerNotFound")
                return new StorageException($"the container '{_container}' does not exist at {_endpoint}", transient: false,
                    "create the container (az storage container create), or correct the location", e);
            if (code is "AuthenticationFailed" or "InvalidAuthenticationInfo" or "NoAuthenticationInformation")
                return new StorageException($"{_endpoint} refused the credentials ({code}) to {action} {what}", transient: false,
                    "check AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING for this account", e);
            if (status == 403)
                return new StorageException($"{_endpoint} refused the credentials or their permissions to {action} {what} (HTTP 403 {code})", transient: false,
                    "check AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN or AZURE_STORAGE_CONNECTION_STRING, and that they may read, write, delete and list in the container (a SAS token needs 'rwdl')", e);
            if (status is 408 or 429 or >= 500 || code is "ServerBusy" or "OperationTimedOut" or "InternalError")
                return new StorageException($"{_endpoint} failed to {action} {what} (HTTP {status} {code})", transient: true,
                    "try again later; if it persists, check the state of the storage account", e);
            return new StorageException($"{_endpoint} refused to {action} {what} (HTTP {status} {code})", transient: false, null, e);
        }
        if (Unreachable(e) is { } network)
            return new StorageException($"cannot reach {_endpoint} to {action} {what}: {network}", transient: true,
                "check the endpoint ('storage.azure.endpoint', ?endpoint= or the connection string), the network and the proxy settings", e);
        return new StorageException($"cannot {action} {what}: {e.Message}", transient: false, null, e);
    }

    /// <summary>Why the endpoint could not be reached, or null when the failure is not about the network (a request
    /// that failed without an answer is).</summary>
    private static string? Unreachable(Exception e) =>
        NetworkFailures.Describe(e) ?? (e is RequestFailedException or HttpRequestException or AggregateException ? e.Message : null);
}
