using System.Text;

namespace Bulwark.Repository.Snapshots;

/// <summary>
/// The rules a manifest must keep before anything acts on it. A manifest is untrusted input (anyone who can write to
/// the repository can plant one): what these rules refuse would otherwise surface as an unexpected exception half-way
/// through a restore, or as a file written with a mode or under a path nobody backed up.
/// </summary>
public static class ManifestValidation
{
    // The file streams' conventions (see Bulwark.Sources.Files.FileStreams): kind "file", name "files/<path>",
    // attributes "path" (the stored path, when given) and "mode" (octal permission bits).
    private const string FileKind = "file";
    private const string FilePrefix = "files/";
    private const string PathAttribute = "path";
    private const string ModeAttribute = "mode";
    private const int MaxMode = 0x0FFF; // 07777: permissions, setuid, setgid, sticky

    /// <summary>
    /// The first rule <paramref name="manifest"/> breaks, as a phrase for a one-line message; null when it keeps them.
    /// <paramref name="maxChunkSize"/> is the repository's largest chunk.
    /// </summary>
    public static string? Problem(SnapshotManifest manifest, int maxChunkSize)
    {
        if (manifest.Host is null || manifest.Source?.Kind is null || manifest.Streams is null)
            return "it lacks its host, source or streams";
        if (manifest.Tags is null || manifest.Tags.Any(t => t is null) || manifest.Tools is null || manifest.Tools.Values.Any(v => v is null))
            return "its tags or tool versions hold a null";
        var names = new HashSet<string>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var stream in manifest.Streams)
        {
            if (stream is null)
                return "it holds a null stream";
            if (string.IsNullOrEmpty(stream.Name) || stream.Name.Contains('\0', StringComparison.Ordinal))
                return $"a stream has the name {Quote(stream.Name)}";
            var what = $"stream {Quote(stream.Name)}";
            if (!names.Add(stream.Name))
                return $"{what} appears twice";
            if (string.IsNullOrEmpty(stream.Kind))
                return $"{what} has no kind";
            if (stream.Sha256 is not { Length: 64 } || !stream.Sha256.All(char.IsAsciiHexDigitLower))
                return $"{what} has the SHA-256 {Quote(stream.Sha256)}, not 64 hex digits";
            if (stream.Size < 0)
                return $"{what} has the length {stream.Size}";
            if (stream.Chunks is null)
                return $"{what} has no chunk list";
            long total = 0;
            for (var i = 0; i < stream.Chunks.Count; i++)
            {
                var length = stream.Chunks[i].Length;
                if (length < 1 || length > maxChunkSize)
                    return $"{what}: chunk {i + 1} has the length {length}, outside 1..{maxChunkSize} (the repository's largest chunk)";
                total += length;
            }
            if (total != stream.Size)
                return $"{what}: its chunks add up to {total} bytes, not to its length {stream.Size}";
            if (AttributeProblem(stream, paths) is { } problem)
                return $"{what} {problem}";
        }
        return null;
    }

    private static string? AttributeProblem(StreamEntry stream, HashSet<string> paths)
    {
        var attributes = stream.Attributes;
        if (attributes is not null && attributes.Any(a => a.Value is null))
            return "has an attribute without a value";
        if (stream.Kind != FileKind)
            return null;
        string? path = null;
        if (attributes?.TryGetValue(PathAttribute, out var given) == true)
            path = given;
        else if (stream.Name.StartsWith(FilePrefix, StringComparison.Ordinal))
            path = stream.Name[FilePrefix.Length..];
        if (path is not null)
        {
            if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal))
                return $"has the file path {Quote(path)}";
            if (!paths.Add(path))
                return $"stores the file {Quote(path)}, which another stream stores too";
        }
        if (attributes?.TryGetValue(ModeAttribute, out var mode) == true && !IsMode(mode))
            return $"has the file mode {Quote(mode)}, not octal permission bits (at most 7777)";
        return null;
    }

    private static bool IsMode(string text) =>
        text.Length is > 0 and <= 6 && text.All(c => c is >= '0' and <= '7') && Convert.ToInt32(text, 8) <= MaxMode;

    /// <summary>A name as it may be printed on one line: quoted, control characters escaped, long ones cut.</summary>
    private static string Quote(string? text)
    {
        if (text is null)
            return "null";
        var builder = new StringBuilder("'");
        foreach (var c in text.Length > 200 ? text[..200] : text)
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c);
        return builder.Append(text.Length > 200 ? "…'" : "'").ToString();
    }
}
