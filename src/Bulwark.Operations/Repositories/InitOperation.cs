using System.Text;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Encryption;
using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Repositories;

/// <summary>Creates a repository, and a commented bulwark.yml next to the user when there is none.</summary>
public sealed class InitOperation
{
    private readonly BulwarkContext _context;

    public InitOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <returns>The repository, and the configuration file written (null when one existed).</returns>
    public Task<(string Repository, string RepositoryId, string? ConfigWritten)> RunAsync(string? location,
        string currentDirectory, CancellationToken cancellationToken) =>
        RunAsync(location, currentDirectory, new InitOptions(), cancellationToken);

    /// <returns>The repository, and the configuration file written (null when one existed).</returns>
    public Task<(string Repository, string RepositoryId, string? ConfigWritten)> RunAsync(string? location,
        string currentDirectory, InitOptions options, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("init", async _ =>
        {
            var target = location ?? _context.RepositoryOverride ?? _context.Settings.Repository
                ?? throw new BulwarkException(ErrorKind.Usage, "no repository location given",
                    "e.g. 'bulwark init /var/backups/bulwark'");
            var resolved = location is not null && Storage.BackendRegistry.SchemeOf(location) is null
                ? Path.GetFullPath(location, currentDirectory)
                : _context.Config.ResolveLocation(target);
            await using var backend = _context.Backends.Open(resolved);
            if (options.Encrypt)
            {
                // Before asking for a passphrase: is there anything to do?
                await backend.CreateAsync(cancellationToken).ConfigureAwait(false);
                if (await backend.StatAsync(RepositoryLayout.ConfigName, cancellationToken).ConfigureAwait(false) is not null)
                    throw new BulwarkException(ErrorKind.Repository, $"a repository already exists at {backend.Location}",
                        "use it as it is, or choose another location");
            }
            await using var repository = options.Encrypt
                ? await RepositoryKeys.InitAsync(backend, _context.RepositoryOptions,
                    await Passphrases.RequireAsync(_context.Config.GetEnvironment, _context.PassphrasePrompt, PassphraseRole.Repository,
                        backend.Location, cancellationToken, confirm: true).ConfigureAwait(false),
                    options.Kdf, cancellationToken: cancellationToken).ConfigureAwait(false)
                : await BackupRepository.InitAsync(backend, _context.RepositoryOptions,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            string? written = null;
            if (_context.Config.FilePath is null)
            {
                var path = Path.Combine(currentDirectory, ConfigLoader.FileName);
                if (!File.Exists(path))
                {
                    // 0600: the file comes to hold webhook URLs and connection details.
                    await AtomicFile.WriteAsync(path, Encoding.UTF8.GetBytes(ConfigTemplate.Render(_context.Backends.Redact(resolved))),
                        new AtomicWriteOptions { Overwrite = false }, cancellationToken).ConfigureAwait(false);
                    written = path;
                }
            }
            return (_context.Backends.Redact(resolved), repository.Config.Id, written);
        });
}
