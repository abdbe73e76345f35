using Bulwark.Repository.Format;

namespace Bulwark.Repository;

/// <summary>How to open a repository.</summary>
public sealed record RepositoryOpenOptions
{
    /// <summary>Clock for snapshot times, locks and events.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// Builds the cipher of an encrypted repository (asks for the passphrase, unwraps the master key).
    /// Null: encrypted repositories cannot be opened.
    /// </summary>
    public Func<BulwarkRepositoryContext, CancellationToken, Task<IObjectCipher>>? OpenCipher { get; init; }

    /// <summary>zstd level for new objects.</summary>
    public int CompressionLevel { get; init; } = 1;

    /// <summary>zstd level for archived WAL files (each is compressed once, by its own process, and rarely read).</summary>
    public int WalCompressionLevel { get; init; } = 3;

    /// <summary>This host's name as recorded in snapshots and locks.</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>
    /// Told, in one line, what was left out so that the rest could go on (a snapshot whose manifest cannot be read).
    /// Null: nobody is told; the operations that need every snapshot still fail.
    /// </summary>
    public Action<string>? Warning { get; init; }
}

/// <summary>What a cipher factory may read while a repository opens.</summary>
public sealed class BulwarkRepositoryContext
{
    internal BulwarkRepositoryContext(Bulwark.Storage.IStorageBackend backend, RepositoryConfig config)
    {
        Backend = backend;
        Config = config;
    }

    internal Bulwark.Storage.IStorageBackend Backend { get; }

    public RepositoryConfig Config { get; }

    /// <summary>Where the repository is, safe to print.</summary>
    public string Location => Backend.Location;
}
