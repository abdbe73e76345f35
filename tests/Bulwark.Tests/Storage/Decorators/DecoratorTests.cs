using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Storage;
using Bulwark.Storage.Decorators;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Bulwark.Tests.Storage.Decorators;

public sealed class DecoratorTests : IDisposable
{
    private static readonly RetryPolicy Quick = new() { MaxRetries = 3, BaseDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FlakyBackend Flaky() => new(new LocalBackend(_directory.Combine(Guid.NewGuid().ToString("N"))));

    [Fact]
    public async Task TransientFailures_AreRetried_UntilTheCallSucceeds()
    {
        var flaky = Flaky();
        var logger = new ListLogger();
        var backend = flaky.WithRetries(Quick, TimeProvider.System, logger);
        flaky.FailNext(2);
        await backend.PutAsync("config", "x"u8.ToArray(), Ct);
        Assert.Equal(3, flaky.Calls);
        flaky.FailNext(3);
        Assert.Equal("x"u8.ToArray(), await backend.GetAsync("config", Ct));
        Assert.Equal(5, logger.Lines.Count(l => l.Contains("retry", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task AfterTheLastRetry_TheFailureReachesTheCaller()
    {
        var flaky = Flaky();
        var backend = flaky.WithRetries(Quick, TimeProvider.System);
        flaky.FailNext(10);
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.StatAsync("config", Ct));
        Assert.True(error.IsTransient);
        Assert.Equal(1 + Quick.MaxRetries, flaky.Calls);
    }

    [Fact]
    public async Task PermanentFailures_AndMissingObjects_AreNotRetried()
    {
        var flaky = Flaky();
        var backend = flaky.WithRetries(Quick, TimeProvider.System);
        flaky.Failure = () => new StorageException("access denied", transient: false);
        flaky.FailNext(1);
        await Assert.ThrowsAsync<StorageException>(() => backend.PutAsync("config", new byte[1], Ct));
        Assert.Equal(1, flaky.Calls);
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => backend.GetAsync("missing", Ct));
        Assert.Equal(2, flaky.Calls);
    }

    [Fact]
    public async Task AListingThatFailsPartWay_StartsAgain_WithoutDuplicates()
    {
        var flaky = Flaky();
        for (var i = 0; i < 20; i++)
            await flaky.PutAsync($"chunks/{i:D2}", new byte[1], Ct);
        var backend = flaky.WithRetries(Quick, TimeProvider.System);
        flaky.ListFailsAfter = 7;
        flaky.FailNext(2);
        var names = new List<string>();
        await foreach (var info in backend.ListAsync("chunks/", Ct))
            names.Add(info.Name);
        Assert.Equal(20, names.Count);
        Assert.Equal(20, names.Distinct().Count());
    }

    [Fact]
    public async Task TheConcurrencyLimit_IsNeverExceeded()
    {
        var flaky = Flaky();
        flaky.Delay = TimeSpan.FromMilliseconds(20);
        var backend = flaky.WithConcurrencyLimit(3);
        await Parallel.ForEachAsync(Enumerable.Range(0, 24), new ParallelOptions { MaxDegreeOfParallelism = 12, CancellationToken = Ct },
            async (i, ct) => await backend.PutAsync($"chunks/{i}", new byte[1], ct));
        Assert.InRange(flaky.MaxRunning, 1, 3);
        Assert.Equal(24, flaky.Calls);
    }

    [Fact]
    public async Task Logging_RecordsCallsAndFailures()
    {
        var flaky = Flaky();
        var logger = new ListLogger();
        var backend = flaky.WithLogging(logger);
        await backend.PutAsync("config", new byte[3], Ct);
        flaky.Failure = () => new StorageException("disk on fire", transient: false);
        flaky.FailNext(1);
        await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.Contains(logger.Lines, l => l.StartsWith("Debug", StringComparison.Ordinal) && l.Contains("put config (3 bytes)", StringComparison.Ordinal));
        Assert.Contains(logger.Lines, l => l.StartsWith("Debug", StringComparison.Ordinal) && l.Contains("get config failed: disk on fire", StringComparison.Ordinal));
    }

    [Fact]
    public void TheBackendUnderTheDecorators_CanBeReached()
    {
        var registry = StorageSetup.CreateRegistry(new BulwarkConfig(), _ => null, TimeProvider.System, new ListLoggerFactory(new ListLogger()));
        var backend = registry.Open(_directory.Path);
        Assert.IsNotType<LocalBackend>(backend);
        Assert.Equal(Path.GetFullPath(_directory.Path), backend.Unwrap<LocalBackend>()!.Location);
        Assert.Null(Flaky().Unwrap<LocalBackend>());
    }

    /// <summary>Credentials that let s3:// and azure:// locations open (nothing is reached at 127.0.0.1:9).</summary>
    private static string? ObjectStoreCredentials(string name) => name switch
    {
        "AWS_ACCESS_KEY_ID" => "key",
        "AWS_SECRET_ACCESS_KEY" => "secret",
        "AZURE_STORAGE_CONNECTION_STRING" => "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=YnVsd2Fyay10ZXN0LWFjY291bnQta2V5;BlobEndpoint=http://127.0.0.1:9/a;",
        _ => null,
    };

    [Fact]
    public async Task Capabilities_AreTheBackendsOwn_ThroughEveryDecorator()
    {
        var registry = StorageSetup.CreateRegistry(new BulwarkConfig(), ObjectStoreCredentials, TimeProvider.System,
            new ListLoggerFactory(new ListLogger()));
        await using var local = registry.Open(_directory.Path);
        await using var s3 = registry.Open("s3://bucket/repo?endpoint=http://127.0.0.1:9");
        await using var azure = registry.Open("azure://container/repo");

        Assert.IsNotType<LocalBackend>(local);
        Assert.Equal(Path.GetFullPath(_directory.Path), local.Capabilities.LocalFolder);
        Assert.False(local.Capabilities.TransientFailures);
        foreach (var remote in new[] { s3, azure })
        {
            Assert.False(remote.Capabilities.IsLocal);
            Assert.True(remote.Capabilities.TransientFailures);
            Assert.True(remote.Capabilities.AtomicReplace);
            Assert.Equal(ListingConsistency.Strong, remote.Capabilities.Listing);
        }
    }

    [Fact]
    public async Task StorageSetup_RetriesObjectStores_ButNotLocalFolders_WhoseErrorsAreNeverTransient()
    {
        var registry = StorageSetup.CreateRegistry(new BulwarkConfig(), ObjectStoreCredentials, TimeProvider.System,
            new ListLoggerFactory(new ListLogger()));
        await using var local = registry.Open(_directory.Path);
        await using var s3 = registry.Open("s3://bucket/repo?endpoint=http://127.0.0.1:9");
        Assert.Null(local.Unwrap<RetryingBackend>());
        Assert.NotNull(s3.Unwrap<RetryingBackend>());
    }

    [Fact]
    public async Task StorageSetup_RetriesTransientFailuresOfObjectStores()
    {
        // An S3 endpoint where nothing listens: connection refused is transient, so the composed registry retries it.
        var config = new BulwarkConfig { Storage = new StorageConfig { Retries = 2, RetryDelayMs = 1 } };
        var logger = new ListLogger();
        var registry = StorageSetup.CreateRegistry(config, name => name switch
        {
            "AWS_ACCESS_KEY_ID" => "key",
            "AWS_SECRET_ACCESS_KEY" => "secret",
            _ => null,
        }, TimeProvider.System, new ListLoggerFactory(logger));
        await using var backend = registry.Open($"s3://bucket/repo?endpoint=http://127.0.0.1:{TestServerProcess.FreePort()}");
        var error = await Assert.ThrowsAsync<StorageException>(() => backend.GetAsync("config", Ct));
        Assert.Contains("cannot reach", error.Message);
        Assert.Equal(2, logger.Lines.Count(l => l.Contains("retry", StringComparison.Ordinal)));
    }

    public void Dispose() => _directory.Dispose();

    internal sealed class ListLogger : ILogger
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                    return _lines.ToList();
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
                _lines.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }

    private sealed class ListLoggerFactory(ListLogger logger) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => logger;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
    }
}
