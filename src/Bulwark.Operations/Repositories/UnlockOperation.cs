using System.Globalization;
using Bulwark.Repository.Locking;

namespace Bulwark.Operations.Repositories;

/// <summary>Removes stale locks, or every lock; logged like the other operations that change the repository.</summary>
public sealed class UnlockOperation
{
    private readonly BulwarkContext _context;

    public UnlockOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <param name="all">Remove every lock, not only stale ones.</param>
    public Task<UnlockResult> RunAsync(bool all, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("unlock", async scope =>
        {
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            var removed = await RepositoryLock.RemoveAsync(repository, all, cancellationToken).ConfigureAwait(false);
            var remaining = await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false);
            scope.Details["removed"] = removed.Count.ToString(CultureInfo.InvariantCulture);
            scope.Details["remaining"] = remaining.Count.ToString(CultureInfo.InvariantCulture);
            scope.Details["all"] = all ? "true" : "false";
            return new UnlockResult(removed, remaining.Select(r => r.Info).ToList());
        });
}
