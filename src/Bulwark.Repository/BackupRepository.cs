using Bulwark.Repository.Chunking;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;

namespace Bulwark.Repository;

/// <summary>
/// A Bulwark repository (format v1) on any storage backend: content-addressed chunks, snapshot manifests written
/// last, immutable events and locks. Nothing is modified in place. Where each object lives is
/// <see cref="RepositoryLayout"/>; the work on each kind of object is in its own part of this class (Chunks,
/// Snapshots, Commit, Events).
/// </summary>
public sealed partial class BackupRepository : IAsyncDisposable
{
    private BackupRepository(IStorageBackend backend, RepositoryConfig config, ObjectCodec codec,
        RepositoryOpenOptions options)
    {
        Backend = backend;
        Config = config;
        Codec = codec;
        Options = options;
        Chunker = new FastCdc(codec.Cipher.Chunker(config.Chunker));
    }

    public IStorageBackend Backend { get; }
    public RepositoryConfig Config { get; }
    public ObjectCodec Codec { get; }
    public FastCdc Chunker { get; }
    public RepositoryOpenOptions Options { get; }
    public TimeProvider Time => Options.Time;

    /// <summary>Where the repository is, safe to print.</summary>
    public string Location => Backend.Location;

    /// <summary>What the storage underneath is (local or remote, listing consistency), as its backend says.</summary>
    public StorageCapabilities Capabilities => Backend.Capabilities;

    /// <summary>
    /// Creates a repository in an empty location. <paramref name="cipher"/> and <paramref name="encryption"/> come from
    /// the caller when the repository is encrypted (keys are written by the caller before this returns).
    /// </summary>
    public static async Task<BackupRepository> InitAsync(IStorageBackend backend, RepositoryOpenOptions options,
        ChunkerParameters? chunker = null, EncryptionParameters? encryption = null, IObjectCipher? cipher = null,
        CancellationToken cancellationToken = default)
    {
        await backend.CreateAsync(cancellationToken).ConfigureAwait(false);
        if (await backend.StatAsync(RepositoryLayout.ConfigName, cancellationToken).ConfigureAwait(false) is not null)
            throw new BulwarkException(ErrorKind.Repository, $"a repository already exists at {backend.Location}",
                "use it as it is, or choose another location");
        await foreach (var _ in backend.ListAsync(RepositoryLayout.SnapshotsFolder, cancellationToken).ConfigureAwait(false))
            throw new BulwarkException(ErrorKind.Repository,
                $"{backend.Location} holds snapshots but no config object: it is a damaged repository",
                "do not initialise over it; restore its config object from a copy");
        var config = new RepositoryConfig
        {
            Format = RepositoryConfig.CurrentFormat,
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            Created = options.Time.GetUtcNow(),
            Chunker = chunker ?? ChunkerParameters.Default,
            Encryption = encryption,
        };
        config.Chunker.Validate();
        await backend.CreateFoldersAsync(RepositoryLayout.ChunkFolders(), cancellationToken).ConfigureAwait(false);
        await backend.PutAsync(RepositoryLayout.ConfigName, RepositoryJson.Serialize(config), cancellationToken).ConfigureAwait(false);
        return new BackupRepository(backend, config, new ObjectCodec(cipher ?? PlainCipher.Instance, options.CompressionLevel), options);
    }

    /// <summary>Opens an existing repository, checking that this build can read its format.</summary>
    public static async Task<BackupRepository> OpenAsync(IStorageBackend backend, RepositoryOpenOptions options,
        CancellationToken cancellationToken = default)
    {
        byte[] raw;
        try
        {
            raw = await backend.GetAsync(RepositoryLayout.ConfigName, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            throw new BulwarkException(ErrorKind.Repository, $"there is no Bulwark repository at {backend.Location}",
                "check the location, or create one with 'bulwark init'");
        }
        if (raw.Length > ObjectLimits.SmallObject)
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {backend.Location} is {raw.Length} bytes, more than a config may be ({ObjectLimits.Describe(ObjectLimits.SmallObject)})",
                "restore the config object from a copy of the repository");
        var config = RepositoryJson.Deserialize<RepositoryConfig>(raw, $"the config object of {backend.Location}");
        if (config.Format > RepositoryConfig.CurrentFormat)
            throw new BulwarkException(ErrorKind.Repository,
                $"the repository at {backend.Location} has format {config.Format}; this Bulwark reads format {RepositoryConfig.CurrentFormat} and older",
                "upgrade Bulwark to open it");
        if (config.Format < 1 || config.Chunker is null)
            throw new BulwarkException(ErrorKind.Repository, $"the config object of {backend.Location} is damaged",
                "restore the config object from a copy of the repository");
        CheckConfig(config, backend.Location);
        IObjectCipher cipher = PlainCipher.Instance;
        if (config.Encryption is null)
        {
            // A config that says "plain" next to key objects was altered: writing plaintext there would leak data.
            await foreach (var _ in backend.ListAsync(RepositoryLayout.KeysFolder, cancellationToken).ConfigureAwait(false))
                throw new BulwarkException(ErrorKind.Integrity,
                    $"the config object of {backend.Location} says the repository is not encrypted, but it holds keys",
                    "restore the config object from a copy of the repository; do not write to it meanwhile");
        }
        else
        {
            if (options.OpenCipher is null)
                throw new BulwarkException(ErrorKind.WrongPassphrase,
                    $"the repository at {backend.Location} is encrypted and no passphrase was given",
                    "set BULWARK_PASSWORD or BULWARK_PASSWORD_FILE");
            cipher = await options.OpenCipher(new BulwarkRepositoryContext(backend, config), cancellationToken)
                .ConfigureAwait(false);
        }
        return new BackupRepository(backend, config, new ObjectCodec(cipher, options.CompressionLevel), options);
    }

    /// <summary>
    /// What init writes and every reader relies on: an id that can name a cache folder, chunker sizes FastCDC can use
    /// (they also bound every chunk a reader accepts).
    /// </summary>
    private static void CheckConfig(RepositoryConfig config, string location)
    {
        if (config.Id is not { Length: 32 } || !config.Id.All(char.IsAsciiHexDigitLower))
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {location} is damaged: its repository id is not 32 hex digits",
                "restore the config object from a copy of the repository");
        try
        {
            config.Chunker.Validate();
        }
        catch (ArgumentException e)
        {
            throw new BulwarkException(ErrorKind.Repository,
                $"the config object of {location} is damaged: {e.Message}",
                "restore the config object from a copy of the repository");
        }
    }

    /// <summary>Takes a lock; throws <see cref="ErrorKind.RepositoryLocked"/> naming the holder on conflict.</summary>
    /// <param name="scope">What the holder acts on alone (see <see cref="LockInfo.Scope"/>); null for none.</param>
    public Task<RepositoryLock> LockAsync(LockMode mode, string operation, CancellationToken cancellationToken, string? scope = null) =>
        RepositoryLock.AcquireAsync(this, mode, operation, cancellationToken, scope);

    public ValueTask DisposeAsync() => Backend.DisposeAsync();

    // The names below stay for code that spelled them here before RepositoryLayout; new code uses RepositoryLayout.

    /// <inheritdoc cref="RepositoryLayout.EventsFolder"/>
    public const string EventsFolder = RepositoryLayout.EventsFolder;

    /// <inheritdoc cref="RepositoryLayout.LocksFolder"/>
    public const string LocksFolder = RepositoryLayout.LocksFolder;

    /// <inheritdoc cref="RepositoryLayout.ChunkName"/>
    public static string ChunkName(ObjectId id) => RepositoryLayout.ChunkName(id);

    /// <inheritdoc cref="RepositoryLayout.SnapshotName"/>
    public static string SnapshotName(ObjectId id) => RepositoryLayout.SnapshotName(id);
}
