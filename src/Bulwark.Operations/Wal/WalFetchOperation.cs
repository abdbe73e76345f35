using Bulwark.Repository.Wal;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Wal;

/// <summary>
/// 'wal fetch': restore_command's %f to %p. Reads the archived file, checks it against its id, and writes it
/// atomically (a temporary file, fsync, rename): recovery never sees part of a segment.
/// </summary>
public sealed class WalFetchOperation
{
    private readonly BulwarkContext _context;

    public WalFetchOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>Fetches <paramref name="name"/> to <paramref name="target"/>; false when it is not archived.</summary>
    public async Task<bool> RunAsync(string name, string target, CancellationToken cancellationToken)
    {
        var file = WalFileName.Parse(name);
        var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        await using (repository.ConfigureAwait(false))
        {
            if (await repository.Wal.GetAsync(file, cancellationToken).ConfigureAwait(false) is not { } content)
                return false;
            try
            {
                await AtomicFile.WriteAsync(Path.GetFullPath(target), content, AtomicWriteOptions.Default, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BulwarkException(ErrorKind.Failed, $"cannot write {target}: {e.Message}",
                    "restore_command runs in the data directory as the server's user: check its free space and permissions");
            }
            return true;
        }
    }
}
