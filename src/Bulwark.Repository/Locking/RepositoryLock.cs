using Bulwark.Repository.Format;
using Bulwark.Storage;

namespace Bulwark.Repository.Locking;

/// <summary>
/// A lock object in locks/, refreshed while held. A lock is stale when its process is gone (same host) or it was
/// not refreshed for <see cref="StaleAfter"/>; stale locks never block, and those of dead local processes are removed.
/// A lock object that cannot be read counts as a shared lock written at its object's time: it blocks exclusive
/// operations while younger than <see cref="StaleAfter"/> (it may be a put still under way), and once older it is
/// stale and removed like a dead process's lock (no holder has rewritten it since).
/// The holder trusts its own lock only while its last refresh is younger than <see cref="StaleAfter"/> minus
/// <see cref="LeaseMargin"/>: a process that was paused (a suspended VM, a stopped process) or could not refresh may
/// have been taken for stale meanwhile, and from then on <see cref="ThrowIfLost"/> stops it before anything unsafe.
/// </summary>
public sealed class RepositoryLock : IAsyncDisposable
{
    public static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(30);
    /// <summary>Room for other hosts' clocks and for one delete in flight.</summary>
    public static readonly TimeSpan LeaseMargin = TimeSpan.FromMinutes(10);

    private readonly BackupRepository _repository;
    private readonly ITimer _timer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _released;
    private volatile string? _lost;

    private RepositoryLock(BackupRepository repository, LockInfo info)
    {
        _repository = repository;
        Info = info;
        _timer = repository.Time.CreateTimer(_ => _ = RefreshAsync(), null, RefreshInterval, RefreshInterval);
    }

    public LockInfo Info { get; private set; }

    /// <summary>A cleanup held the prune lock when this lock was taken (it may have swept beside this operation).</summary>
    public bool CleanupRunningAtStart { get; private init; }

    public static string ObjectName(string id) => BackupRepository.LocksFolder + id;

    internal static async Task<RepositoryLock> AcquireAsync(BackupRepository repository, LockMode mode,
        string operation, CancellationToken cancellationToken, string? scope = null)
    {
        var now = repository.Time.GetUtcNow();
        var info = new LockInfo
        {
            Id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
            Mode = mode,
            Operation = operation,
            Host = repository.Options.HostName,
            ProcessId = Environment.ProcessId,
            User = Environment.UserName,
            Created = now,
            Refreshed = now,
            Scope = scope,
        };
        await Write(repository, info, cancellationToken).ConfigureAwait(false);
        var cleanupRunning = false;
        try
        {
            foreach (var other in await ListAsync(repository, cancellationToken).ConfigureAwait(false))
            {
                if (other.Info.Id == info.Id)
                    continue;
                // Even a stale one: its process may only be paused.
                cleanupRunning |= other.Info.Mode == LockMode.Prune && !other.ProcessGone;
                if (other.Stale)
                {
                    // Another host's stale lock stays until 'unlock': its process may only be paused. Nobody holds
                    // an unreadable one that nothing rewrote for so long.
                    if (other.ProcessGone || other.Info.Damage is not null)
                    {
                        await repository.Backend.DeleteAsync(ObjectName(other.Info.Id), cancellationToken).ConfigureAwait(false);
                        if (other.Info.Damage is not null)
                            repository.Options.Warning?.Invoke($"removed {other.Info.Describe()}: nothing wrote it for {StaleAfter.TotalMinutes:0} minutes");
                    }
                    continue;
                }
                if (scope is not null && other.Info.Scope == scope)
                    throw new BulwarkException(ErrorKind.RepositoryLocked,
                        $"'{scope}' is already running in the repository at {repository.Location}: {other.Info.Describe()}",
                        "wait for it to finish; if that process is gone, run 'bulwark unlock'");
                if (Conflicts(mode, other.Info.Mode))
                    throw new BulwarkException(ErrorKind.RepositoryLocked,
                        $"the repository at {repository.Location} is locked: {other.Info.Describe()}",
                        other.Info.Damage is null
                            ? "wait for it to finish; if that process is gone, run 'bulwark unlock'"
                            : $"it may be a lock being written; it is removed once it is {StaleAfter.TotalMinutes:0} minutes old, or now by 'bulwark unlock --all' if no Bulwark process uses the repository");
            }
        }
        catch
        {
            await repository.Backend.DeleteAsync(ObjectName(info.Id), CancellationToken.None).ConfigureAwait(false);
            throw;
        }
        return new RepositoryLock(repository, info) { CleanupRunningAtStart = cleanupRunning };
    }

    /// <summary>Every lock object in the repository, with whether it is stale.</summary>
    public static async Task<IReadOnlyList<LockStatus>> ListAsync(BackupRepository repository,
        CancellationToken cancellationToken)
    {
        var result = new List<LockStatus>();
        var now = repository.Time.GetUtcNow();
        await foreach (var obj in repository.Backend.ListAsync(BackupRepository.LocksFolder, cancellationToken).ConfigureAwait(false))
        {
            byte[] stored;
            try
            {
                stored = await repository.Backend.GetAsync(obj.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectNotFoundException)
            {
                continue; // released meanwhile
            }
            LockInfo info;
            try
            {
                info = RepositoryJson.Deserialize<LockInfo>(repository.Codec.Decode(stored, obj.Name, ObjectLimits.SmallObject), $"lock {obj.Name}");
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
                // Bulwark writes locks whole (a rename, a single put), yet a store that shows a put while it is
                // under way, and keeps what an interrupted one wrote (s3rver), shows a lock that does not read. Who
                // holds it is unknown, so it is a shared lock until its object's time says nobody wrote it lately.
                var unreadable = Unreadable(obj, e.Message);
                result.Add(new LockStatus(unreadable, Stale: now - unreadable.Refreshed > StaleAfter, ProcessGone: false));
                continue;
            }
            var gone = info.Host == repository.Options.HostName && !ProcessAlive(info.ProcessId);
            var expired = now - info.Refreshed > StaleAfter;
            result.Add(new LockStatus(info, gone || expired, gone));
        }
        return result;
    }

    /// <summary>What a lock object that cannot be read is reported as.</summary>
    private static LockInfo Unreadable(StorageObjectInfo obj, string error) => new()
    {
        Id = obj.Name[BackupRepository.LocksFolder.Length..],
        Mode = LockMode.Shared,
        Operation = "unknown",
        Host = "unknown",
        ProcessId = 0,
        Created = obj.LastModified,
        Refreshed = obj.LastModified,
        Damage = error,
    };

    /// <summary>Removes stale locks, or every lock with <paramref name="all"/>. Returns what was removed.</summary>
    public static async Task<IReadOnlyList<LockInfo>> RemoveAsync(BackupRepository repository, bool all,
        CancellationToken cancellationToken)
    {
        var removed = new List<LockInfo>();
        foreach (var status in await ListAsync(repository, cancellationToken).ConfigureAwait(false))
        {
            if (!all && !status.Stale)
                continue;
            await repository.Backend.DeleteAsync(ObjectName(status.Info.Id), cancellationToken).ConfigureAwait(false);
            removed.Add(status.Info);
        }
        return removed;
    }

    /// <summary>
    /// Throws when this lock can no longer be trusted: its last refresh is too old (see the class), or it was found
    /// removed. Cheap (no I/O): meant to be called before each irreversible step.
    /// </summary>
    public void ThrowIfLost()
    {
        CheckLease(_repository.Time.GetUtcNow());
        if (_lost is { } why)
            throw new BulwarkException(ErrorKind.Failed,
                $"this {Info.Operation}'s lock on the repository {why}; another process may have taken it for stale, so the {Info.Operation} stopped",
                $"run the {Info.Operation} again; was the machine paused or the repository unreachable?");
    }

    /// <summary><see cref="ThrowIfLost"/>, and checks that the lock object is still in the repository.</summary>
    public async Task EnsureHeldAsync(CancellationToken cancellationToken)
    {
        ThrowIfLost();
        if (await _repository.Backend.StatAsync(ObjectName(Info.Id), cancellationToken).ConfigureAwait(false) is null)
            _lost ??= "was removed (by 'bulwark unlock --all'?)";
        ThrowIfLost();
    }

    private void CheckLease(DateTimeOffset now)
    {
        var age = now - Info.Refreshed;
        if (age > StaleAfter - LeaseMargin)
            _lost ??= $"was not refreshed for {age.TotalMinutes:0} minutes";
    }

    public static bool Conflicts(LockMode mine, LockMode theirs) =>
        mine == LockMode.Exclusive || theirs == LockMode.Exclusive || (mine == LockMode.Prune && theirs == LockMode.Prune);

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_released)
                return;
            _released = true;
            await _timer.DisposeAsync().ConfigureAwait(false);
            await _repository.Backend.DeleteAsync(ObjectName(Info.Id), CancellationToken.None).ConfigureAwait(false);
        }
        catch (BulwarkException)
        {
            // A lock left behind goes stale and blocks nothing for long; the operation's own outcome matters more.
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task RefreshAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_released)
                return;
            var now = _repository.Time.GetUtcNow();
            // A refresh after a long gap comes too late to undo what others may have done meanwhile.
            CheckLease(now);
            var refreshed = Info with { Refreshed = now };
            await Write(_repository, refreshed, CancellationToken.None).ConfigureAwait(false);
            Info = refreshed;
        }
        catch (BulwarkException)
        {
            // Tried again at the next interval; a lock goes stale only after several missed refreshes.
        }
        finally
        {
            _gate.Release();
        }
    }

    private static Task Write(BackupRepository repository, LockInfo info, CancellationToken cancellationToken) =>
        repository.Backend.PutAsync(ObjectName(info.Id), repository.Codec.Pack(RepositoryJson.Serialize(info)),
            cancellationToken);

    private static bool ProcessAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
            return Directory.Exists($"/proc/{pid}");
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}

/// <summary>A lock and whether it is stale; <see cref="ProcessGone"/> when its process no longer runs on this host.</summary>
public sealed record LockStatus(LockInfo Info, bool Stale, bool ProcessGone);
