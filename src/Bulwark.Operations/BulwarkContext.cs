using Bulwark.Operations.Configuration;
using Bulwark.Operations.Encryption;
using Bulwark.Operations.Logging;
using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Format;
using Bulwark.Sources.Postgres;
using Bulwark.Storage;

namespace Bulwark.Operations;

/// <summary>
/// What every operation needs: the configuration, the clock, the storage backends, the operations log. One per
/// process (or per test); cheap to create.
/// </summary>
public sealed class BulwarkContext
{
    /// <param name="storageLogging">Where the storage backends log; nowhere when null.</param>
    public BulwarkContext(LoadedConfig config, TimeProvider? time = null,
        Microsoft.Extensions.Logging.ILoggerFactory? storageLogging = null)
        : this(config, time, null, storageLogging)
    {
    }

    /// <summary>A context on backends assembled elsewhere (tests wrapping them in fault injection), or the default ones.</summary>
    internal BulwarkContext(LoadedConfig config, TimeProvider? time, BackendRegistry? backends,
        Microsoft.Extensions.Logging.ILoggerFactory? storageLogging = null)
    {
        Config = config;
        Time = time ?? TimeProvider.System;
        // Retry backoffs wait on real I/O, so they use the system clock even when a test fakes the operations' time.
        Backends = backends ?? StorageSetup.CreateRegistry(config.Config, config.GetEnvironment, TimeProvider.System, storageLogging);
        Log = new OperationLog(config.StateDirectory);
    }

    private int _swept;
    /// <summary>The passphrase that opened the repository in this process (see <see cref="RepositoryPassphraseAsync"/>).</summary>
    private string? _repositoryPassphrase;

    public LoadedConfig Config { get; }
    public BulwarkConfig Settings => Config.Config;
    public TimeProvider Time { get; }
    public BackendRegistry Backends { get; }
    public OperationLog Log { get; }

    /// <summary>The source this context acts on (see <see cref="ForSource"/>); null: the configuration as a whole.</summary>
    public ConfiguredSource? Source { get; private init; }

    private IReadOnlyList<ConfiguredSource>? _sources;
    private BulwarkContext? _whole;

    /// <summary>The context of the whole configuration (this one unless it is one source's).</summary>
    public BulwarkContext Whole => _whole ?? this;

    /// <summary>Every source of the configuration, in the order written (also in one source's context).</summary>
    public IReadOnlyList<ConfiguredSource> Sources => _sources ??= ConfiguredSource.All(Config.Config);

    /// <summary>
    /// The sources that <paramref name="name"/> selects (--source): all when null, else the one of that name, or a
    /// usage error that lists the names.
    /// </summary>
    public IReadOnlyList<ConfiguredSource> SelectSources(string? name)
    {
        var all = Sources;
        if (string.IsNullOrEmpty(name))
            return all;
        return all.FirstOrDefault(s => s.Name == name) is { } found
            ? [found]
            : throw new BulwarkException(ErrorKind.Usage, $"no source is named '{name}'",
                $"the sources of this configuration are: {string.Join(", ", all.Select(s => s.Name))}");
    }

    /// <summary>
    /// The context of one source: the same repository, clock, backends and log, with the source's sections in place
    /// of the top-level ones.
    /// </summary>
    public BulwarkContext ForSource(ConfiguredSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new BulwarkContext(Config.With(source.Settings), Time, Backends)
        {
            _sources = Sources,
            _whole = Whole,
            Source = source,
            RepositoryOverride = RepositoryOverride,
            OpenCipher = OpenCipher,
            Warning = Warning,
            PassphrasePrompt = PassphrasePrompt,
        };
    }

    /// <summary>Whether a snapshot belongs to this context's source; null when the context is not one source's.</summary>
    public Func<Repository.Snapshots.Snapshot, bool>? SnapshotFilter => Source is { } source && (source.Named || Sources.Count > 1)
        ? snapshot => SourceNames.FromManifest(snapshot.Manifest.Source.Name) == source.Name
        : null;

    /// <summary>
    /// A snapshot by reference, among this context's source's snapshots; "latest" without a source is refused when
    /// the configuration has several (it would pick whichever source backed up last).
    /// </summary>
    public Task<Repository.Snapshots.Snapshot> ResolveSnapshotAsync(BackupRepository repository, string reference,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repository);
        if (Source is null && Sources.Count > 1 && string.Equals(reference?.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
            throw new BulwarkException(ErrorKind.Usage,
                $"'latest' is ambiguous: the configuration has {Sources.Count} sources ({string.Join(", ", Sources.Select(s => s.Name))})",
                "pass --source NAME, or name the snapshot by its id ('bulwark list')");
        return repository.ResolveSnapshotAsync(reference!, cancellationToken, SnapshotFilter, Source is null ? null : $"source '{Source.Name}'");
    }

    /// <summary>The name that snapshots of this context's source record (null for the default source).</summary>
    public string? SourceNameForManifest => Source is { Named: true } source ? SourceNames.ForManifest(source.Name) : null;

    /// <summary>A repository location given on the command line, which wins over the configuration.</summary>
    public string? RepositoryOverride { get; init; }

    /// <summary>
    /// Opens the cipher of an encrypted repository. Null: the passphrase comes from BULWARK_PASSWORD(_FILE/_COMMAND)
    /// or <see cref="PassphrasePrompt"/>.
    /// </summary>
    public Func<BulwarkRepositoryContext, CancellationToken, Task<IObjectCipher>>? OpenCipher { get; init; }

    /// <summary>
    /// Where warnings go that do not change an operation's outcome (what was left out so that the rest could go on, a
    /// log record that could not be written). Null: a repository's warnings go nowhere, a lost log record to standard
    /// error.
    /// </summary>
    public Action<string>? Warning { get; init; }

    /// <summary>Asks a person for passphrases (the CLI on a terminal); null where no one can answer.</summary>
    public IPassphrasePrompt? PassphrasePrompt { get; init; }

    /// <summary>
    /// Opens encrypted repositories with the passphrase of <paramref name="role"/>; the key that opened the repository
    /// last is tried first (see <see cref="LastKeyCache"/>).
    /// </summary>
    public Func<BulwarkRepositoryContext, CancellationToken, Task<IObjectCipher>> PassphraseCipher(PassphraseRole role) =>
        async (repository, cancellationToken) =>
        {
            var passphrase = await Passphrases.RequireAsync(Config.GetEnvironment, PassphrasePrompt, role, repository.Location, cancellationToken)
                .ConfigureAwait(false);
            var cipher = await LastKeyCache.OpenAsync(Config.StateDirectory, repository, passphrase, cancellationToken).ConfigureAwait(false);
            if (role == PassphraseRole.Repository)
                _repositoryPassphrase = passphrase;
            return cipher;
        };

    /// <summary>
    /// The passphrase of the repository, for a server Bulwark starts: the one that opened it in this process, so that a
    /// person is not asked twice; else BULWARK_PASSWORD(_FILE/_COMMAND), else asked.
    /// </summary>
    public async Task<string> RepositoryPassphraseAsync(CancellationToken cancellationToken) =>
        _repositoryPassphrase ?? await Passphrases.RequireAsync(Config.GetEnvironment, PassphrasePrompt, PassphraseRole.Repository,
            RepositoryDisplay, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// The same context, but an encrypted repository is unlocked once and its key kept (<see cref="UnlockedKeys"/>):
    /// for a long-running process, where every health refresh and status request opens the repository.
    /// </summary>
    public BulwarkContext KeepingKeys() => new(Config, Time, Backends)
    {
        _sources = _sources,
        _whole = _whole,
        Source = Source,
        RepositoryOverride = RepositoryOverride,
        PassphrasePrompt = PassphrasePrompt,
        OpenCipher = new UnlockedKeys(OpenCipher ?? PassphraseCipher(PassphraseRole.Repository)).OpenAsync,
    };

    /// <summary>The repository location, resolved (a relative folder is relative to the configuration file).</summary>
    public string RepositoryLocation
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(RepositoryOverride))
                return Storage.BackendRegistry.SchemeOf(RepositoryOverride) is null
                    ? Path.GetFullPath(RepositoryOverride)
                    : RepositoryOverride;
            if (!string.IsNullOrWhiteSpace(Settings.Repository))
                return Config.ResolveLocation(Settings.Repository);
            throw new BulwarkException(ErrorKind.Configuration, "no repository is configured",
                "pass --repo LOCATION, set 'repository:' in bulwark.yml, or set BULWARK_REPOSITORY");
        }
    }

    /// <summary>The repository location without secrets.</summary>
    public string RepositoryDisplay => Backends.Redact(RepositoryLocation);

    public RepositoryOpenOptions RepositoryOptions => new()
    {
        Time = Time,
        OpenCipher = OpenCipher ?? PassphraseCipher(PassphraseRole.Repository),
        CompressionLevel = Settings.Backup.CompressionLevel,
        WalCompressionLevel = Settings.Backup.WalCompressionLevel,
        HostName = string.IsNullOrWhiteSpace(Settings.HostName) ? Environment.MachineName : Settings.HostName,
        Warning = Warning,
    };

    public async Task<BackupRepository> OpenRepositoryAsync(CancellationToken cancellationToken)
    {
        var backend = Backends.Open(RepositoryLocation);
        try
        {
            var repository = await BackupRepository.OpenAsync(backend, RepositoryOptions, cancellationToken).ConfigureAwait(false);
            OpenedRepository.Current?.Note(repository.Config.Id);
            return repository;
        }
        catch
        {
            await backend.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The database to back up: <paramref name="url"/> when given, else the configuration, else libpq defaults.</summary>
    public PgConnectionSettings SourceSettings(string? url = null)
    {
        var settings = PgConnectionSettings.Resolve(url ?? Settings.Postgres.Url, Config.GetEnvironment);
        SecretRedactor.Register(settings.Password);
        return settings;
    }

    /// <summary>A restore target or other server named by a URL.</summary>
    public PgConnectionSettings ConnectionSettings(string url)
    {
        var settings = PgConnectionSettings.Resolve(url, Config.GetEnvironment);
        SecretRedactor.Register(settings.Password);
        return settings;
    }

    public string? PostgresBinDirectory =>
        string.IsNullOrWhiteSpace(Settings.Postgres.BinDir) ? null : Config.ResolvePath(Settings.Postgres.BinDir);

    /// <summary>
    /// Runs <paramref name="body"/> and appends its record to the operations log, whatever the outcome.
    /// </summary>
    public async Task<T> RunLoggedAsync<T>(string operation, Func<OperationScope, Task<T>> body)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0)
            StateDebris.SweepState(Config.StateDirectory, Time);
        var scope = new OperationScope();
        var opened = OpenedRepository.Start();
        var start = Time.GetUtcNow();
        var outcome = OperationLog.Failed;
        string? error = null;
        string? kind = null;
        try
        {
            if (Source is { Named: true } source)
                scope.Details["source"] = source.Name;
            var result = await body(scope).ConfigureAwait(false);
            outcome = OperationLog.Ok;
            return result;
        }
        catch (OperationCanceledException)
        {
            outcome = OperationLog.Cancelled;
            throw;
        }
        catch (BulwarkException e)
        {
            error = e.Message;
            kind = e.Kind.ToString();
            throw;
        }
        catch (Exception e)
        {
            error = $"{e.GetType().Name}: {e.Message}";
            kind = nameof(ErrorKind.Internal);
            throw;
        }
        finally
        {
            var end = Time.GetUtcNow();
            string? repository;
            try
            {
                repository = RepositoryDisplay;
            }
            catch (BulwarkException)
            {
                repository = null;
            }
            AppendOrWarn(new OperationRecord
            {
                Id = Guid.NewGuid().ToString("N")[..16],
                Operation = operation,
                Start = start,
                End = end,
                Outcome = outcome,
                DurationMs = (long)(end - start).TotalMilliseconds,
                Bytes = scope.Bytes,
                Repository = repository,
                RepositoryId = opened.Id,
                Snapshot = scope.Snapshot,
                Error = error,
                ErrorKind = kind,
                Host = RepositoryOptions.HostName,
                Details = scope.Details.Count == 0 ? null : scope.Details,
            });
        }
    }

    private void AppendOrWarn(OperationRecord record)
    {
        try
        {
            Log.Append(record);
        }
        catch (BulwarkException e)
        {
            // A committed backup stays committed when the state disk is full: the record is lost, not the result.
            var message = SecretRedactor.Redact(e.Message);
            if (Warning is { } warning)
                warning(message);
            else
                Console.Error.WriteLine($"warning: {message}");
        }
    }
}

/// <summary>
/// The id of the repository that <see cref="BulwarkContext.OpenRepositoryAsync"/> opened first while an operation (or
/// a job) ran, so that its log record and job state say which repository they belong to. It follows the async flow:
/// <see cref="Start"/> holds until the async method that called it returns; an inner start also tells the outer ones.
/// </summary>
public sealed class OpenedRepository
{
    private static readonly AsyncLocal<OpenedRepository?> Flow = new();
    private readonly OpenedRepository? _outer;

    private OpenedRepository(OpenedRepository? outer)
    {
        _outer = outer;
    }

    /// <summary>The id, or null while no repository was opened (it was unreachable, or the failure came first).</summary>
    public string? Id { get; private set; }

    internal static OpenedRepository? Current => Flow.Value;

    /// <summary>Starts noting, for the rest of the calling async method.</summary>
    public static OpenedRepository Start() => Flow.Value = new OpenedRepository(Flow.Value);

    internal void Note(string id)
    {
        for (var note = this; note is not null; note = note._outer)
            note.Id ??= id;
    }
}

/// <summary>What an operation reports for its log record while it runs.</summary>
public sealed class OperationScope
{
    public long Bytes { get; set; }
    public string? Snapshot { get; set; }
    public Dictionary<string, string> Details { get; } = [];
}
