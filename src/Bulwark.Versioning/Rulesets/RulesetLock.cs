using System.Diagnostics;
using Bulwark.Repository;
using Bulwark.Repository.Locking;

namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// Keeps two processes from changing the same ruleset at once (choosing a version number, switching an environment).
/// It is the repository's shared lock with the ruleset named in its operation ("ruleset activate NAME"): once it is
/// taken, the locks are listed again, and while another live lock changes the same ruleset, this one is let go and
/// taken again after a random wait. The storage has no conditional put, so this is check-then-verify: each process
/// puts its lock before it lists, so of two racing the second to list always sees the first; both may back off, and
/// the random wait breaks the tie. Stale locks (process gone on this host, or not refreshed for
/// <see cref="RepositoryLock.StaleAfter"/>) never block, and 'bulwark unlock' sees these locks like every other.
/// </summary>
internal static class RulesetLock
{
    private const string Prefix = "ruleset ";

    /// <summary>Takes the lock for <paramref name="action"/> (create, activate, …), waiting at most <paramref name="wait"/> for another change of the ruleset.</summary>
    public static async Task<RepositoryLock> AcquireAsync(BackupRepository repository, string ruleset, string action,
        TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp(); // a retry deadline, not a time that is recorded
        for (var attempt = 1; ; attempt++)
        {
            var held = await repository.LockAsync(LockMode.Shared, Operation(action, ruleset), cancellationToken).ConfigureAwait(false);
            LockInfo? holder;
            try
            {
                holder = await FindOtherAsync(repository, ruleset, held.Info.Id, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await held.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            if (holder is null)
                return held;
            await held.DisposeAsync().ConfigureAwait(false);
            if (Stopwatch.GetElapsedTime(started) > wait)
                throw new BulwarkException(ErrorKind.RepositoryLocked,
                    $"ruleset '{ruleset}' is being changed by another process: {holder.Describe()}",
                    $"try again when it has finished; a lock of a process that died on another host expires {RepositoryLock.StaleAfter.TotalMinutes:0} minutes after its last refresh");
            var delay = Random.Shared.Next(5, 40) * Math.Min(attempt, 10);
            await Task.Delay(TimeSpan.FromMilliseconds(delay), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The lock's operation: what it does and to which ruleset (names have no spaces).</summary>
    public static string Operation(string action, string ruleset) => $"{Prefix}{action} {ruleset}";

    /// <summary>The ruleset that a lock with this operation changes, or null when it changes none.</summary>
    public static string? RulesetOf(string operation) =>
        operation.StartsWith(Prefix, StringComparison.Ordinal) && operation[Prefix.Length..].Split(' ') is [_, var name]
            ? name
            : null;

    private static async Task<LockInfo?> FindOtherAsync(BackupRepository repository, string ruleset, string mine,
        CancellationToken cancellationToken)
    {
        foreach (var status in await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false))
        {
            if (status.Info.Id != mine && !status.Stale && RulesetOf(status.Info.Operation) == ruleset)
                return status.Info;
        }
        return null;
    }
}
