using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Storage;

namespace Bulwark.Operations.Health;

/// <summary>
/// 'bulwark check': is the backup healthy? Opens the repository once and runs every check of
/// <see cref="HealthCheckRunner"/> against it; each gives a finding with a monitoring status, and a check that cannot
/// run gives UNKNOWN rather than stopping the others. Reads only: takes no lock and writes nothing to the repository
/// (the snapshot summaries it reads are cached in the state folder, so a repository with many snapshots stays fast).
/// </summary>
public sealed class HealthCheckOperation
{
    private readonly BulwarkContext _context;

    public HealthCheckOperation(BulwarkContext context)
    {
        _context = context;
    }

    public async Task<HealthReport> RunAsync(HealthCheckRequest? request, CancellationToken cancellationToken)
    {
        request ??= new HealthCheckRequest();
        var started = _context.Time.GetTimestamp();
        var now = _context.Time.GetUtcNow();
        var findings = new List<HealthFinding>();
        string? repositoryDisplay = null;
        string? localRepository = null;
        try
        {
            repositoryDisplay = _context.RepositoryDisplay;
            if (BackendRegistry.SchemeOf(_context.RepositoryLocation) is null)
                localRepository = _context.RepositoryLocation;
        }
        catch (BulwarkException e)
        {
            findings.Add(new HealthFinding { Check = HealthCheckNames.Repository, Status = HealthStatus.Unknown, Summary = e.Message, Advice = e.Advice });
        }

        BackupRepository? repository = null;
        if (repositoryDisplay is not null)
        {
            try
            {
                repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
            {
                findings.Add(new HealthFinding
                {
                    Check = HealthCheckNames.Repository,
                    Status = e.Kind is ErrorKind.Configuration or ErrorKind.Usage ? HealthStatus.Unknown : HealthStatus.Critical,
                    Summary = $"cannot open the repository: {e.Message}",
                    Advice = e.Advice,
                });
            }
        }

        try
        {
            var checks = await ContextAsync(request, now, repositoryDisplay, localRepository, repository, cancellationToken).ConfigureAwait(false);
            findings.AddRange(await new HealthCheckRunner().RunAsync(checks, cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            if (repository is not null)
                await repository.DisposeAsync().ConfigureAwait(false);
        }
        return new HealthReport
        {
            Time = now,
            Duration = _context.Time.GetElapsedTime(started),
            Repository = repositoryDisplay,
            Findings = findings,
        };
    }

    private async Task<HealthCheckContext> ContextAsync(HealthCheckRequest request, DateTimeOffset now, string? repositoryDisplay,
        string? localRepository, BackupRepository? repository, CancellationToken cancellationToken)
    {
        SnapshotCatalog? catalog = null;
        IReadOnlyList<SnapshotSummary>? snapshots = null;
        Exception? snapshotsError = null;
        if (repository is not null)
        {
            catalog = new SnapshotCatalog(repository, _context.Config.StateDirectory);
            try
            {
                snapshots = await catalog.ListAsync(cancellationToken).ConfigureAwait(false);
                // 'check --source': that source's snapshots only, so another source's state changes nothing here.
                if (_context.Source is { } source && (source.Named || _context.Sources.Count > 1))
                    snapshots = snapshots.Where(s => s.SourceName == source.Name).ToList();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                snapshotsError = e;
            }
        }
        return new HealthCheckContext
        {
            Bulwark = _context,
            Request = request,
            Now = now,
            RepositoryDisplay = repositoryDisplay,
            RepositoryId = repository?.Config.Id,
            LocalRepository = localRepository,
            Repository = repository,
            Catalog = catalog,
            Snapshots = snapshots,
            SnapshotsError = snapshotsError,
        };
    }
}
