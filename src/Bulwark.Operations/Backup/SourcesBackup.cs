using Bulwark.Operations.Configuration;

namespace Bulwark.Operations.Backup;

/// <summary>
/// 'bulwark backup' of several sources: each one's own backup (its lock, its record in the operations log), one after
/// the other or several at once. A source that fails does not stop the
/// others; the result says how each ended.
/// </summary>
public sealed class SourcesBackup
{
    private readonly BulwarkContext _context;

    public SourcesBackup(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>Told of a problem that does not stop a backup, with the source it concerns.</summary>
    public event Action<string, string>? Warning;

    /// <param name="sources">The sources to back up, in order (from <see cref="BulwarkContext.SelectSources"/>).</param>
    /// <param name="parallel">How many run at once; 1: one after the other.</param>
    /// <param name="progress">Progress of the source being backed up (one at a time only).</param>
    public async Task<IReadOnlyList<SourceBackupOutcome>> RunAsync(IReadOnlyList<ConfiguredSource> sources, BackupRequest request,
        int parallel, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (parallel < 1)
            throw new BulwarkException(ErrorKind.Usage, $"--parallel {parallel} is less than 1", "give 1 (one source after the other) or more");
        var outcomes = new SourceBackupOutcome[sources.Count];
        await Parallel.ForAsync(0, sources.Count,
            new ParallelOptions { MaxDegreeOfParallelism = parallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var source = sources[i];
                var operation = new BackupOperation(_context.ForSource(source));
                operation.Warning += message => Warning?.Invoke(source.Name, message);
                try
                {
                    var result = await operation.RunAsync(request, parallel == 1 ? progress : null, ct).ConfigureAwait(false);
                    outcomes[i] = new SourceBackupOutcome(source.Name, result, null);
                }
                catch (CopyAfterBackupFailedException e)
                {
                    outcomes[i] = new SourceBackupOutcome(source.Name, e.Backup, e);
                }
                catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
                {
                    outcomes[i] = new SourceBackupOutcome(source.Name, null, e);
                }
            }).ConfigureAwait(false);
        return outcomes;
    }
}
