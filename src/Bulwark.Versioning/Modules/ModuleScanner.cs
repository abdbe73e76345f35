using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Files;

namespace Bulwark.Versioning.Modules;

/// <summary>
/// Reads the version a module declares in its header (the first lines of the file) and the SHA-256 of its content.
/// A pattern is a regular expression with a group named "version" (or else its first group).
/// </summary>
public sealed class ModuleScanner
{
    /// <summary>A version as people write it: 1.2.3, v1.2, 1.2.3-rc.1+build.</summary>
    private const string VersionText = @"v?(?<version>\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)";

    /// <summary>'@version 1.2.3' (JSDoc, PHPDoc), 'Version: 1.2.3' (plugin headers), '__version__ = "1.2.3"' (Python).</summary>
    public static IReadOnlyList<string> DefaultPatterns { get; } =
    [
        @"@version\s+" + VersionText,
        @"(?i:\bversion)\s*:\s*" + VersionText,
        @"__version__\s*=\s*['""]" + VersionText + @"['""]",
    ];

    public const int DefaultHeaderLines = 30;

    private readonly IReadOnlyList<Regex> _patterns;
    private readonly int _headerLines;

    /// <param name="patterns">Regular expressions tried in order on each header line; empty for <see cref="DefaultPatterns"/>.</param>
    public ModuleScanner(IReadOnlyList<string>? patterns = null, int headerLines = DefaultHeaderLines)
    {
        _patterns = (patterns is { Count: > 0 } ? patterns : DefaultPatterns)
            .Select(p => Compile(p) ?? throw new ArgumentException($"'{p}' is not a valid regular expression", nameof(patterns)))
            .ToList();
        _headerLines = headerLines > 0 ? headerLines : DefaultHeaderLines;
    }

    /// <summary>The regular expression, or null when it is not valid.</summary>
    public static Regex? Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Every module's record, in path order.</summary>
    public async Task<IReadOnlyList<ModuleRecord>> ScanAsync(IReadOnlyList<SelectedFile> files, CancellationToken cancellationToken)
    {
        var records = new List<ModuleRecord>(files.Count);
        foreach (var file in files)
            records.Add(await ScanAsync(file, cancellationToken).ConfigureAwait(false));
        return records;
    }

    public async Task<ModuleRecord> ScanAsync(SelectedFile file, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var header = new MemoryStream();
            var buffer = new byte[1 << 16];
            long size = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                if (header.Length < 1 << 16)
                    header.Write(buffer, 0, (int)Math.Min(read, (1 << 16) - header.Length));
                size += read;
            }
            return new ModuleRecord
            {
                Path = file.StoredPath,
                Version = FindVersion(Encoding.UTF8.GetString(header.GetBuffer(), 0, (int)header.Length)),
                Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()),
                Size = size,
            };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"cannot read module {file.FullPath}: {e.Message}",
                "check that it exists and is readable, or remove it from 'modules.paths'");
        }
    }

    /// <summary>The version declared in the first header lines of <paramref name="text"/>, or null.</summary>
    public string? FindVersion(string text)
    {
        var lines = text.Split('\n');
        foreach (var line in lines.Take(_headerLines))
        foreach (var pattern in _patterns)
        {
            var match = pattern.Match(line);
            if (!match.Success)
                continue;
            var group = match.Groups["version"];
            if (!group.Success && match.Groups.Count > 1)
                group = match.Groups[1];
            var value = (group.Success ? group.Value : match.Value).Trim();
            if (value.Length > 0)
                return value;
        }
        return null;
    }
}
