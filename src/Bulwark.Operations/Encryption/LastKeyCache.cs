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
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp-" + Environment.ProcessId;
            File.WriteAllText(temporary, keyId + "\n");
            File.Move(temporary, _path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a hint: the next opening tries the keys in their usual order.
        }
    }
}
