using Bulwark.Operations.Configuration;
using Bulwark.Operations.Logging;
using Bulwark.Storage;
using Bulwark.Storage.Azure;
using Bulwark.Storage.Decorators;
using Bulwark.Storage.S3;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Bulwark.Operations;

/// <summary>The one place where backends and their decorators are put together.</summary>
public static class StorageSetup
{
    /// <summary>Environment variables whose values are secrets, removed from every message and log.</summary>
    private static readonly string[] SecretVariables =
    [
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN",
    ];

    /// <summary>A location as given on a command line: a URL as is, a folder made absolute (from the current one).</summary>
    public static string AbsoluteLocation(string location) =>
        BackendRegistry.SchemeOf(location) is null ? Path.GetFullPath(location) : location;

    /// <summary>A registry with the built-in backends and default settings (the process environment).</summary>
    public static BackendRegistry CreateRegistry() => CreateRegistry(null, null);

    /// <summary>
    /// Local folders, s3:// and azure:// locations, each wrapped (innermost first) in a concurrency limit, retries of
    /// transient failures, and logging.
    /// </summary>
    public static BackendRegistry CreateRegistry(BulwarkConfig? settings, Func<string, string?>? environment,
        TimeProvider? time = null, ILoggerFactory? logging = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var storage = settings?.Storage ?? new StorageConfig();
        RegisterSecrets(environment);
        var logger = (logging ?? NullLoggerFactory.Instance).CreateLogger("Bulwark.Storage");
        var retries = storage.RetryPolicy;
        return new BackendRegistry()
            .Register(new S3BackendProvider(storage.S3.ToOptions(), environment))
            .Register(new AzureBackendProvider(storage.Azure.ToOptions(), environment))
            .Decorate(backend => backend.WithConcurrencyLimit(storage.Connections))
            // Where failures are never transient (a local folder), a retry pipeline would only cost start-up time.
            .Decorate(backend => backend.Capabilities.TransientFailures
                ? backend.WithRetries(retries, time ?? TimeProvider.System, logger)
                : backend)
            .Decorate(backend => backend.WithLogging(logger));
    }

    private static void RegisterSecrets(Func<string, string?> environment)
    {
        foreach (var variable in SecretVariables)
            SecretRedactor.Register(environment(variable));
        if (environment("AZURE_STORAGE_CONNECTION_STRING") is { } connectionString)
        {
            foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=');
                if (equals > 0 && part[..equals].Trim() is var key &&
                    (key.Equals("AccountKey", StringComparison.OrdinalIgnoreCase) ||
                     key.Equals("SharedAccessSignature", StringComparison.OrdinalIgnoreCase)))
                    SecretRedactor.Register(part[(equals + 1)..]);
            }
        }
    }
}
