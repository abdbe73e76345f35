using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Locking;
using Bulwark.Storage;

namespace Bulwark.Sources.Versioning;

/// <summary>
/// A short-lived mutual exclusion per ruleset (ruleset-locks/NAME/ID), held while a version number is chosen and
/// registered or an environment is switched. The storage has no conditional put, so it is a check-then-verify
/// protocol: put our own lock object, then list; if any other live lock object is there, remove ours, wait a random
/// while and try again. Of two writers racing, at most one sees only itself: the second to list always sees the
/// first. Both may back off; the random wait breaks the tie. A lock of a dead process on this host, or older than
/// <see cref="StaleAfter"/>, is ignored and removed; so is a lock object that does not read once its object is older
/// than that (while younger it is held: it may be a put under way).
/// </summary>
internal sealed class RegistryLock : IAsyncDisposable
{
    public const string Folder = "ruleset-locks/";
    public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(10);

    private readonly BackupRepository _repository;
    private readonly string _name;
    private bool _released;

    private RegistryLock(BackupRepository repository, string name)
    {
        _repository = repository;
        _name = name;
    }

    public static async Task<RegistryLock> AcquireAsync(BackupRepository repository, string ruleset, string operation,
        TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp(); // a retry deadline, not a time that is recorded
        for (var attempt = 1; ; attempt++)
        {
            var now = repository.Time.GetUtcNow();
            var info = new LockInfo
            {
                Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
                Mode = LockMode.Exclusive,
                Operation = operation,
                Host = repository.Options.HostName,
                ProcessId = Environment.ProcessId,
                User = Environment.UserName,
                Created = now,
                Refreshed = now,
            };
            var name = $"{Folder}{ruleset}/{info.Id}";
            await repository.Backend.PutAsync(name, repository.Codec.Pack(RepositoryJson.Serialize(info)), cancellationToken)
                .ConfigureAwait(false);
            LockInfo? holder;
            try
            {
                holder = await FindOtherAsync(repository, ruleset, info.Id, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await repository.Backend.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            if (holder is null)
                return new RegistryLock(repository, name);
            await repository.Backend.DeleteAsync(name, CancellationToken.None).ConfigureAwait(false);
            if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > wait)
                throw new BulwarkException(ErrorKind.RepositoryLocked,
                    $"ruleset '{ruleset}' is being changed by another process: {holder.Describe($"{Folder}{ruleset}/{holder.Id}")}",
                    $"try again when it has finished; a lock of a process that died on another host expires {StaleAfter.TotalMinutes:0} minutes after it was taken");
            var delay = Random.Shared.Next(5, 40) * Math.Min(attempt, 10);
            await Task.Delay(TimeSpan.FromMilliseconds(delay), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<LockInfo?> FindOtherAsync(BackupRepository repository, string ruleset, string mine,
        CancellationToken cancellationToken)
    {
        var now = repository.Time.GetUtcNow();
        await foreach (var obj in repository.Backend.ListAsync($"{Folder}{ruleset}/", cancellationToken).ConfigureAwait(false))
        {
            if (obj.Name.EndsWith("/" + mine, StringComparison.Ordinal))
                continue;
            LockInfo info;
            try
            {
                var stored = await repository.Backend.GetAsync(obj.Name, cancellationToken).ConfigureAwait(false);
                info = RepositoryJson.Deserialize<LockInfo>(repository.Codec.Decode(stored, obj.Name, ObjectLimits.SmallObject), $"lock {obj.Name}");
            }
            catch (ObjectNotFoundException)
            {
                continue; // released meanwhile
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
                // A put cut off midway, on a store that keeps what it wrote (s3rver), or one still under way: see
                // RepositoryLock. Held while fresh; once old, nobody holds it.
                var unreadable = new LockInfo
                {
                    Id = obj.Name[(obj.Name.LastIndexOf('/') + 1)..], Mode = LockMode.Exclusive, Operation = "unknown",
                    Host = "unknown", ProcessId = 0, Created = obj.LastModified, Refreshed = obj.LastModified, Damage = e.Message,
                };
                if (now - obj.LastModified <= StaleAfter)
                    return unreadable;
                await repository.Backend.DeleteAsync(obj.Name, cancellationToken).ConfigureAwait(false);
                repository.Options.Warning?.Invoke($"removed {unreadable.Describe(obj.Name)}: nothing wrote it for {StaleAfter.TotalMinutes:0} minutes");
                continue;
            }
            catch (BulwarkException) when (now - obj.LastModified > StaleAfter)
            {
                continue;
            }
            var gone = info.Host == repository.Options.HostName && !ProcessAlive(info.ProcessId);
            if (gone || now - info.Created > StaleAfter)
            {
                await repository.Backend.DeleteAsync(obj.Name, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return info;
        }
        return null;
    }

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

    public async ValueTask DisposeAsync()
    {
        if (_released)
            return;
        _released = true;
        try
        {
            await _repository.Backend.DeleteAsync(_name, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BulwarkException)
        {
            // A lock left behind is ignored once its process is gone or it is old; the operation's outcome matters more.
        }
    }
}
