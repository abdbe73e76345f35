using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Format;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Encryption;

/// <summary>
/// Remembers which key object last opened a repository (state/cache/&lt;repository id&gt;/last-key, next to the
/// snapshot catalog's cache), so that the next opening tries it first: each key tried costs a key derivation, and a
/// key object planted by someone else is then not even tried. Only an id, never anything secret; a wrong, missing
/// or unwritable cache only costs time.
/// </summary>
public sealed class LastKeyCache
{
    private const string FileName = "last-key";
    private readonly string? _path;

    public LastKeyCache(string stateDirectory, string repositoryId)
    {
        // The id comes from the repository's config object: used as a folder name only when it looks like one.
        if (repositoryId.Length == 32 && repositoryId.All(char.IsAsciiHexDigitLower))
            _path = Path.Combine(stateDirectory, "cache", repositoryId, FileName);
    }

    /// <summary>
    /// Opens the cipher of <paramref name="repository"/> with <paramref name="passphrase"/>, trying the key that opened
    /// it last first, and remembers the key that opened it now.
    /// </summary>
    public static async Task<IObjectCipher> OpenAsync(string stateDirectory, BulwarkRepositoryContext repository,
        string passphrase, CancellationToken cancellationToken)
    {
        var lastKey = new LastKeyCache(stateDirectory, repository.Config.Id);
        var cipher = await RepositoryKeys.OpenAsync(repository, passphrase, cancellationToken, lastKey.Read()).ConfigureAwait(false);
        lastKey.Write(RepositoryKeys.KeyIdOf(cipher));
        return cipher;
    }

    /// <summary>The remembered key id, or null.</summary>
    public string? Read()
    {
        if (_path is null)
            return null;
        try
        {
            var text = File.ReadAllText(_path).Trim();
            return text.Length == 32 && text.All(char.IsAsciiHexDigitLower) ? text : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Remembers <paramref name="keyId"/> (nothing when it is already remembered or cannot be written).</summary>
    public void Write(string? keyId)
    {
        if (_path is null || keyId is null || Read() == keyId)
            return;
        try
        {
            // Owner-only like the rest of the state folder; a killed write leaves a temporary file that the state sweep removes.
            OwnerOnly.CreateFolder(Path.GetDirectoryName(_path)!);
            AtomicFile.WriteText(_path, keyId + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a hint: the next opening tries the keys in their usual order.
        }
    }
}
