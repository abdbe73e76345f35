using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using Bulwark.Sources.Processes;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Finds the PostgreSQL programs: in the configured folder if one is set, else the newest installed (PATH and the
/// usual version folders such as /usr/lib/postgresql/N/bin), so that pg_dump is at least as new as the server.
/// </summary>
public sealed partial class PgTools
{
    private static readonly ConcurrentDictionary<string, PgVersion> VersionCache = new();
    private readonly string? _binDirectory;

    /// <param name="binDirectory">A folder that holds pg_dump and friends; null to search.</param>
    public PgTools(string? binDirectory = null)
    {
        _binDirectory = string.IsNullOrWhiteSpace(binDirectory) ? null : binDirectory;
    }

    /// <summary>The path of <paramref name="program"/> and its version, checked to be usable with a server of <paramref name="serverMajor"/>.</summary>
    public async Task<(string Path, PgVersion Version)> FindAsync(string program, int? serverMajor,
        CancellationToken cancellationToken)
    {
        var candidates = Candidates(program).ToList();
        if (candidates.Count == 0)
            throw new BulwarkException(ErrorKind.ToolMissing,
                _binDirectory is null
                    ? $"{program} is not installed (searched PATH and /usr/lib/postgresql/*/bin)"
                    : $"{program} is not in {_binDirectory}",
                "install the PostgreSQL client programs (Debian/Ubuntu: apt-get install postgresql-client), or set 'postgres.bin-dir' in bulwark.yml");
        var versions = await Task.WhenAll(candidates.Select(path => VersionOfAsync(path, cancellationToken))).ConfigureAwait(false);
        (string Path, PgVersion Version)? best = null;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (best is null || versions[i].Major > best.Value.Version.Major)
                best = (candidates[i], versions[i]);
        }
        return serverMajor is { } major ? CheckServer(program, best!.Value, major) : best!.Value;
    }

    /// <summary><paramref name="found"/>, or the error saying it is too old for a server of <paramref name="serverMajor"/>.</summary>
    public static (string Path, PgVersion Version) CheckServer(string program, (string Path, PgVersion Version) found, int serverMajor)
    {
        if (found.Version.Major < serverMajor)
            throw new BulwarkException(ErrorKind.ToolMissing,
                $"{program} {found.Version} ({found.Path}) is older than the server (PostgreSQL {serverMajor}) and cannot dump it",
                $"install the PostgreSQL {serverMajor} client programs (Debian/Ubuntu: apt-get install postgresql-client-{serverMajor}), or set 'postgres.bin-dir'");
        return found;
    }

    public static async Task<PgVersion> VersionOfAsync(string path, CancellationToken cancellationToken)
    {
        if (VersionCache.TryGetValue(path, out var cached))
            return cached;
        var version = VersionInFile(path);
        if (version is null)
        {
            var output = await ProcessRunner.RunAsync(path, ["--version"], null, cancellationToken).ConfigureAwait(false);
            var match = VersionPattern().Match(output);
            if (!match.Success)
                throw new BulwarkException(ErrorKind.ToolMissing, $"cannot read the version of {path} (it printed '{output.Trim()}')",
                    "check that it is a PostgreSQL program");
            version = PgVersion.Parse(match.Groups[1].Value);
        }
        VersionCache[path] = version.Value;
        return version.Value;
    }

    /// <summary>
    /// The version in the line a PostgreSQL program prints for --version, read from the program's file: every one of them
    /// holds that line as a constant ("pg_dump (PostgreSQL) " PG_VERSION). Running the program instead loads libpq and
    /// some twenty libraries, 25–60 ms on the path before a backup's dump can start. Null unless the file holds exactly
    /// one such version (a wrapper script, another build): then the program is asked.
    /// </summary>
    internal static PgVersion? VersionInFile(string path)
    {
        const long MaxProgramSize = 64 << 20;
        byte[] bytes;
        try
        {
            var length = new FileInfo(path).Length;
            if (length == 0 || length > MaxProgramSize)
                return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        var marker = System.Text.Encoding.ASCII.GetBytes($"{Path.GetFileName(path)} (PostgreSQL) ");
        PgVersion? found = null;
        var span = bytes.AsSpan();
        for (var at = span.IndexOf(marker); at >= 0; at = span.IndexOf(marker))
        {
            span = span[(at + marker.Length)..];
            var digits = 0;
            while (digits < span.Length && digits < 16 && (char.IsAsciiDigit((char)span[digits]) || span[digits] == '.'))
                digits++;
            var text = System.Text.Encoding.ASCII.GetString(span[..digits]).TrimEnd('.');
            if (!VersionNumberPattern().IsMatch(text))
                continue;
            var version = PgVersion.Parse(text);
            if (found is not null && found != version)
                return null;
            found = version;
        }
        return found;
    }

    private IEnumerable<string> Candidates(string program)
    {
        if (_binDirectory is not null)
        {
            var path = Path.Combine(_binDirectory, program);
            return File.Exists(path) ? [path] : [];
        }
        var seen = new HashSet<string>();
        var pathVariable = Environment.GetEnvironmentVariable("PATH") ?? "";
        var folders = pathVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var root in new[] { "/usr/lib/postgresql", "/usr/local/pgsql", "/opt/homebrew/opt" })
        {
            if (!Directory.Exists(root))
                continue;
            folders.AddRange(Directory.EnumerateDirectories(root).Select(d => Path.Combine(d, "bin")));
        }
        folders.AddRange(Directory.Exists("/usr") ? Directory.EnumerateDirectories("/usr", "pgsql-*").Select(d => Path.Combine(d, "bin")) : []);
        var found = new List<(string Path, string Real)>();
        foreach (var folder in folders)
        {
            var path = Path.Combine(folder, program);
            if (!File.Exists(path))
                continue;
            var real = RealPath(path);
            if (seen.Add(real))
                found.Add((path, real));
        }
        // Debian's pg_wrapper only dispatches to the versioned folders listed here too; running them directly spares
        // a Perl start per call.
        var direct = found.Where(f => Path.GetFileName(f.Real) != DebianWrapper).ToList();
        return (direct.Count > 0 ? direct : found).Select(f => f.Path);
    }

    private const string DebianWrapper = "pg_wrapper";

    /// <summary>The path with every link resolved, folders included (/bin/pg_dump and /usr/bin/pg_dump are one file).</summary>
    private static string RealPath(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        try
        {
            folder = new DirectoryInfo(folder).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? folder;
        }
        catch (IOException)
        {
        }
        return ResolveLink(Path.Combine(folder, Path.GetFileName(path)));
    }

    private static string ResolveLink(string path)
    {
        try
        {
            return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);
        }
        catch (IOException)
        {
            return Path.GetFullPath(path);
        }
    }

    [GeneratedRegex(@"\(PostgreSQL\)\s+([0-9]+(?:\.[0-9]+)*)")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^[0-9]+(?:\.[0-9]+)*$")]
    private static partial Regex VersionNumberPattern();
}

/// <summary>A PostgreSQL version as its programs print it: 15.18, 16.2, 9.6.24.</summary>
public readonly record struct PgVersion(int Major, int Minor)
{
    public static PgVersion Parse(string text)
    {
        var parts = text.Split('.');
        var major = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var minor = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 0;
        if (major < 10 && parts.Length > 2)
        {
            // 9.6.24 is major 9.6; kept as 9 here, as no supported server is that old.
            minor = int.Parse(parts[2], CultureInfo.InvariantCulture);
        }
        return new PgVersion(major, minor);
    }

    /// <summary>From server_version_num (150018 → 15.18).</summary>
    public static PgVersion FromNumber(int number) =>
        number >= 100000 ? new PgVersion(number / 10000, number % 10000) : new PgVersion(number / 10000, number % 100);

    public override string ToString() => $"{Major}.{Minor}";
}
