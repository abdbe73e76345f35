using Bulwark.Repository;
using Bulwark.Repository.Format;

namespace Bulwark.Operations.Encryption;

/// <summary>
/// Keeps the unwrapped key of each repository a long-running process (the daemon) opens, so that the passphrase is
/// found and the Argon2id derivation (64 MiB, a passphrase command) runs once for the process, not once per opening.
/// One unlock per repository: openings that arrive meanwhile wait for it and share its key. A failed unlock is not kept
/// (the next opening tries again). The price: the process holds the master key for its whole life, so removing a
/// key object does not lock it out (see docs/encryption.md).
/// </summary>
public sealed class UnlockedKeys
{
    private readonly Func<BulwarkRepositoryContext, CancellationToken, Task<IObjectCipher>> _unlock;
    private readonly Dictionary<(string Location, string Id), Task<IObjectCipher>> _ciphers = [];

    public UnlockedKeys(Func<BulwarkRepositoryContext, CancellationToken, Task<IObjectCipher>> unlock)
    {
        _unlock = unlock;
    }

    /// <summary>The hook of <see cref="RepositoryOpenOptions.OpenCipher"/>.</summary>
    public Task<IObjectCipher> OpenAsync(BulwarkRepositoryContext repository, CancellationToken cancellationToken)
    {
        // Keyed by location and repository id: another repository initialised at the same place needs its own key.
        var key = (repository.Location, repository.Config.Id);
        Task<IObjectCipher> unlocking;
        lock (_ciphers)
        {
            if (!_ciphers.TryGetValue(key, out unlocking!) || unlocking.IsFaulted || unlocking.IsCanceled)
            {
                // Shared by everyone who waits for it, so no single caller's cancellation stops it; finding the
                // passphrase may block (a command), hence off this thread.
                unlocking = Task.Run(() => _unlock(repository, CancellationToken.None), CancellationToken.None);
                _ciphers[key] = unlocking;
            }
        }
        return unlocking.WaitAsync(cancellationToken);
    }
}
