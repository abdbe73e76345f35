using Microsoft.Extensions.FileSystemGlobbing;

namespace Bulwark.Sources.Files;

/// <summary>
/// Turns the paths and globs of 'files:' (or 'modules:') into files. A relative pattern is relative to the base
/// folder; '*' matches within a folder and '**' across folders; a folder stands for every file below it. A plain
/// path that does not exist and a glob that matches nothing are errors: a backup never silently leaves out a file
/// someone asked for.
/// </summary>
public static class FileSelector
{
    private static readonly char[] GlobCharacters = ['*', '?'];

    /// <param name="key">The configuration key, for messages ("files", "modules.paths").</param>
    public static IReadOnlyList<SelectedFile> Select(string baseDirectory, IEnumerable<string> patterns, string key = "files")
    {
        var byStoredPath = new Dictionary<string, SelectedFile>(StringComparer.Ordinal);
        foreach (var raw in patterns)
        {
            var pattern = raw.Trim();
            if (pattern.Length == 0)
                continue;
            foreach (var full in Expand(baseDirectory, pattern, key))
            {
                var stored = StoredPathOf(baseDirectory, full);
                if (byStoredPath.TryGetValue(stored, out var existing) && existing.FullPath != full)
                    throw new BulwarkException(ErrorKind.Configuration,
                        $"'{key}': {full} and {existing.FullPath} would both be stored as '{stored}'",
                        "list only one of them");
                byStoredPath[stored] = new SelectedFile(full, stored);
            }
        }
        return byStoredPath.Values.OrderBy(f => f.StoredPath, StringComparer.Ordinal).ToList();
    }

    /// <summary>The path a file is stored under (see <see cref="SelectedFile.StoredPath"/>).</summary>
    public static string StoredPathOf(string baseDirectory, string fullPath)
    {
        var relative = Path.GetRelativePath(baseDirectory, fullPath);
        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) ||
            Path.IsPathRooted(relative))
            relative = fullPath.TrimStart(Path.DirectorySeparatorChar);
        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    private static IEnumerable<string> Expand(string baseDirectory, string pattern, string key)
    {
        if (pattern == "~" || pattern.StartsWith("~/", StringComparison.Ordinal))
            pattern = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), pattern.Length > 2 ? pattern[2..] : "");
        var glob = pattern.IndexOfAny(GlobCharacters);
        if (glob < 0)
        {
            var full = Path.GetFullPath(pattern, baseDirectory);
            if (File.Exists(full))
                return [full];
            if (Directory.Exists(full))
                return Match(full, "**/*", pattern, key);
            throw new BulwarkException(ErrorKind.Configuration, $"'{key}': {full} does not exist",
                "create it, or remove it from bulwark.yml");
        }
        // The matcher takes a root folder and a relative pattern: the root is the part before the first wildcard.
        var fixedPart = pattern[..glob];
        var slash = fixedPart.LastIndexOf('/');
        var root = slash < 0 ? baseDirectory : Path.GetFullPath(slash == 0 ? "/" : fixedPart[..slash], baseDirectory);
        var rest = slash < 0 ? pattern : pattern[(slash + 1)..];
        return Match(root, rest, pattern, key);
    }

    private static List<string> Match(string root, string relativePattern, string pattern, string key)
    {
        var matcher = new Matcher(StringComparison.Ordinal);
        matcher.AddInclude(relativePattern);
        var files = Directory.Exists(root)
            ? matcher.GetResultsInFullPath(root).Select(Path.GetFullPath).ToList()
            : [];
        if (files.Count == 0)
            throw new BulwarkException(ErrorKind.Configuration, $"'{key}': '{pattern}' matches no file (in {root})",
                "fix the pattern, or remove it from bulwark.yml");
        return files;
    }
}
