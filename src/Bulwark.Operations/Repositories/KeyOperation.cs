using Bulwark.Operations.Encryption;
using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Locking;

namespace Bulwark.Operations.Repositories;

/// <summary>The passphrases of an encrypted repository: list, add, remove (never the last one).</summary>
public sealed class KeyOperation
{
    private readonly BulwarkContext _context;

    public KeyOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>Every key, and which one the given passphrase opened.</summary>
    public async Task<KeyListing> ListAsync(CancellationToken cancellationToken)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        var current = RequireEncrypted(repository);
        var keys = await RepositoryKeys.ListAsync(repository, cancellationToken).ConfigureAwait(false);
        return new KeyListing(repository.Location, keys, current);
    }

    /// <summary>Adds a key for the new passphrase (BULWARK_NEW_PASSWORD(_FILE), or asked twice on a terminal).</summary>
    public Task<KeyObject> AddAsync(CancellationToken cancellationToken) => AddAsync(null, cancellationToken);

    /// <inheritdoc cref="AddAsync(CancellationToken)"/>
    /// <param name="kdf">Argon2id settings of the new key; null for the defaults.</param>
    public Task<KeyObject> AddAsync(KdfParameters? kdf, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("key-add", async scope =>
        {
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            RequireEncrypted(repository);
            var passphrase = await Passphrases.RequireAsync(_context.Config.GetEnvironment, _context.PassphrasePrompt,
                PassphraseRole.NewKey, repository.Location, cancellationToken, confirm: true).ConfigureAwait(false);
            var key = await RepositoryKeys.AddAsync(repository, passphrase, kdf, cancellationToken).ConfigureAwait(false);
            scope.Details["key"] = key.Id;
            return key;
        });

    /// <summary>Removes a key by id prefix, under an exclusive lock so that two removals cannot take the last two keys.</summary>
    public Task<KeyObject> RemoveAsync(string id, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("key-remove", async scope =>
        {
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            RequireEncrypted(repository);
            await using var repositoryLock = await repository.LockAsync(LockMode.Exclusive, "key-remove", cancellationToken).ConfigureAwait(false);
            var removed = await RepositoryKeys.RemoveAsync(repository, id, cancellationToken).ConfigureAwait(false);
            scope.Details["key"] = removed.Id;
            return removed;
        });

    private static string RequireEncrypted(BackupRepository repository) =>
        RepositoryKeys.CurrentKeyId(repository)
        ?? throw new BulwarkException(ErrorKind.Usage, $"the repository at {repository.Location} is not encrypted",
            "keys exist only in repositories created with 'bulwark init --encrypt'; 'bulwark copy' moves snapshots into one");
}
