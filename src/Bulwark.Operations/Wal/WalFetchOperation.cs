using Bulwark.Repository.Wal;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Wal;

/// <summary>
/// 'wal fetch': restore_command's %f to %p. Reads the archived object, decodes it piece by piece into a temporary
/// file while checking it against its id, then fsync and rename: recovery never sees part of a segment, nor one that
/// did not match.
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
            try
            {
                return await repository.Wal.FetchAsync(file, Path.GetFullPath(target), AtomicWriteOptions.Default, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BulwarkException(ErrorKind.Failed, $"cannot write {target}: {e.Message}",
                    "restore_command runs in the data directory as the server's user: check its free space and permissions");
            }
        }
    }
}
