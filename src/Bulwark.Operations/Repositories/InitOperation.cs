using Bulwark.Operations.Configuration;
using Bulwark.Repository;

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
        _context.RunLoggedAsync("init", async _ =>
        {
            var target = location ?? _context.RepositoryOverride ?? _context.Settings.Repository
                ?? throw new BulwarkException(ErrorKind.Usage, "no repository location given",
                    "e.g. 'bulwark init /var/backups/bulwark'");
            var resolved = location is not null && Storage.BackendRegistry.SchemeOf(location) is null
                ? Path.GetFullPath(location, currentDirectory)
                : _context.Config.ResolveLocation(target);
            await using var backend = _context.Backends.Open(resolved);
            await using var repository = await BackupRepository.InitAsync(backend, _context.RepositoryOptions,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            string? written = null;
            if (_context.Config.FilePath is null)
            {
                var path = Path.Combine(currentDirectory, ConfigLoader.FileName);
                if (!File.Exists(path))
                {
                    await File.WriteAllTextAsync(path, ConfigTemplate.Render(_context.Backends.Redact(resolved)), cancellationToken).ConfigureAwait(false);
                    written = path;
                }
            }
            return (_context.Backends.Redact(resolved), repository.Config.Id, written);
        });
}
