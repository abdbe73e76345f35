using System.Security.Cryptography;
using Bulwark.Storage.Local;

namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// The file each environment runs a ruleset from: which one it is, what it holds (its SHA-256), and writing a
/// version to it atomically (temporary file, fsync, rename), so that it is always one whole version.
/// </summary>
internal sealed class EnvironmentFiles(IReadOnlyDictionary<string, string> paths)
{
    /// <summary>Every environment and its file, by name.</summary>
    public IEnumerable<KeyValuePair<string, string>> All => paths.OrderBy(e => e.Key, StringComparer.Ordinal);

    /// <summary>The file of <paramref name="environment"/>; an environment that is not configured is a usage error.</summary>
    public string PathOf(string environment)
    {
        if (paths.TryGetValue(environment, out var path))
            return path;
        throw new BulwarkException(ErrorKind.Usage, $"unknown environment '{environment}'",
            paths.Count == 0
                ? "configure 'environments:' in bulwark.yml"
                : $"the environments are: {string.Join(", ", paths.Keys.Order(StringComparer.Ordinal))} (see 'environments:' in bulwark.yml)");
    }

    /// <summary>The SHA-256 of the file, or null when it does not exist.</summary>
    public static async Task<string?> HashAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"cannot read {path}: {e.Message}", "check its permissions");
        }
    }

    /// <summary>
    /// Replaces (or creates) the file with <paramref name="content"/>, keeping the mode of the file it replaces. The
    /// caller holds the ruleset's lock, so the temporary files of this file that are there were left by a killed
    /// writer: they are removed first.
    /// </summary>
    public static async Task WriteAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            AtomicFile.RemoveTemporaryFilesOf(path);
            await AtomicFile.WriteAsync(path, content, new AtomicWriteOptions
            {
                KeepExistingMode = true,
                Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"cannot write {path}: {e.Message}; the file is unchanged",
                e is UnauthorizedAccessException ? "check the permissions of its folder" : "check the folder and free space");
        }
    }
}
