using System.Security.Cryptography;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Bench;

/// <summary>Small distinct chunks written straight into a local repository, for benchmarks that need many of them.</summary>
public static class SyntheticChunks
{
    /// <param name="modified">When set, each chunk file's time (e.g. older than cleanup's grace period).</param>
    public static async Task<ChunkRef[]> WriteAsync(BackupRepository repository, string root, int count, DateTime? modified = null)
    {
        var ids = new ChunkRef[count];
        for (var n = 0; n < count; n++)
        {
            var data = new byte[64];
            BitConverter.GetBytes(n).CopyTo(data, 0);
            SHA256.HashData(data.AsSpan(0, 4)).CopyTo(data, 8);
            var id = repository.ContentId(data);
            ids[n] = new ChunkRef(id, data.Length);
            var path = Path.Combine(root, RepositoryLayout.ChunkName(id));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllBytesAsync(path, repository.Pack(data));
            if (modified is { } time)
                File.SetLastWriteTimeUtc(path, time);
        }
        return ids;
    }
}
