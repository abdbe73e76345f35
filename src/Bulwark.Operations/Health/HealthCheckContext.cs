using Bulwark.Operations.Catalog;
using Bulwark.Operations.Configuration;
using Bulwark.Repository;

namespace Bulwark.Operations.Health;

/// <summary>What every check of one run shares: the settings, the time, and the repository opened once.</summary>
internal sealed class HealthCheckContext
{
    public required BulwarkContext Bulwark { get; init; }
    public required HealthCheckRequest Request { get; init; }

    /// <summary>The time of the run; every age is measured from it.</summary>
    public required DateTimeOffset Now { get; init; }

    public CheckConfig Settings => Bulwark.Settings.Check;

    /// <summary>The repository without secrets; null when none is configured.</summary>
    public string? RepositoryDisplay { get; init; }

    /// <summary>The id of the repository; null when it could not be opened.</summary>
    public string? RepositoryId { get; init; }

    /// <summary>The repository's folder when it is a local one.</summary>
    public string? LocalRepository { get; init; }

    /// <summary>The opened repository; null when it could not be opened (a 'repository' finding says why).</summary>
    public BackupRepository? Repository { get; init; }

    /// <summary>The snapshot summaries of <see cref="Repository"/>; null with it.</summary>
    public SnapshotCatalog? Catalog { get; init; }

    /// <summary>Every snapshot, oldest first; null when there is no repository or the listing failed.</summary>
    public IReadOnlyList<SnapshotSummary>? Snapshots { get; init; }

    private Task<Wal.WalInventory?>? _wal;

    /// <summary>The repository's WAL archive, listed once per run for the checks that read it; null without a repository.</summary>
    public Task<Wal.WalInventory?> WalAsync(CancellationToken cancellationToken) =>
        _wal ??= Repository is null ? Task.FromResult<Wal.WalInventory?>(null) : LoadWalAsync(Repository, cancellationToken);

    private static async Task<Wal.WalInventory?> LoadWalAsync(BackupRepository repository, CancellationToken cancellationToken) =>
        await Wal.WalInventory.LoadAsync(repository, cancellationToken).ConfigureAwait(false);

    /// <summary>Why the snapshots could not be listed: the backup-age check reports it; the others that need them do not run.</summary>
    public Exception? SnapshotsError { get; init; }
}
