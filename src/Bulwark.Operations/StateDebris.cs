using System.Text.RegularExpressions;
using Bulwark.Storage.Local;

namespace Bulwark.Operations;

/// <summary>
/// Removes what killed runs leave behind: temporary files in the state folder (an <see cref="AtomicFile"/> write that
/// never reached its rename), restore spool files, and the temporary file of 'restore --to-file' in its target
/// folder. Only files untouched for an hour go, so that a run in progress keeps its own; a spool file (written
/// first, then read for as long as pg_restore takes) is kept while the process named in it lives.
/// </summary>
internal static partial class StateDebris
{
    public static readonly TimeSpan MinimumAge = TimeSpan.FromHours(1);

    /// <summary>Sweeps the state folder. Never throws: debris costs space, not correctness.</summary>
    public static void SweepState(string stateDirectory, TimeProvider time)
    {
        if (!Directory.Exists(stateDirectory))
            return;
        var cutoff = time.GetUtcNow().UtcDateTime - MinimumAge;
        // AttributesToSkip: AtomicFile's temporary names start with a dot, which .NET counts as hidden.
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 4, AttributesToSkip = 0,
        };
        try
        {
            // The state folder is Bulwark's own: any "*.tmp" is a temporary file, of AtomicFile or of an earlier build.
            foreach (var file in Directory.EnumerateFiles(stateDirectory, "*.tmp", options))
                DeleteIfOlder(file, cutoff);
            var spool = Path.Combine(stateDirectory, "spool");
            if (Directory.Exists(spool))
            {
                foreach (var file in Directory.EnumerateFiles(spool, "bulwark-restore-*"))
                {
                    if (!SpoolOwnerRuns(Path.GetFileName(file)))
                        DeleteIfOlder(file, cutoff);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// Sweeps the temporary files an earlier 'restore --to-file' into <paramref name="folder"/> left: the user's
    /// folder, so only <see cref="AtomicFile"/>'s pattern, and the ".out.dump.&lt;32 hex digits&gt;.partial" of earlier builds.
    /// </summary>
    public static void SweepPartials(string folder, TimeProvider time)
    {
        var cutoff = time.GetUtcNow().UtcDateTime - MinimumAge;
        try
        {
            foreach (var file in Directory.EnumerateFiles(folder, ".*"))
            {
                var name = Path.GetFileName(file);
                if (AtomicFile.IsTemporaryName(name) || PartialPattern().IsMatch(name))
                    DeleteIfOlder(file, cutoff);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static void DeleteIfOlder(string file, DateTime cutoff)
    {
        try
        {
            if (File.GetLastWriteTimeUtc(file) < cutoff)
                File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    private static bool SpoolOwnerRuns(string name)
    {
        var match = SpoolPattern().Match(name);
        if (!match.Success || !int.TryParse(match.Groups[1].Value, out var pid))
            return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^\..+\.[0-9a-f]{32}\.partial$")]
    private static partial Regex PartialPattern();

    [GeneratedRegex(@"^bulwark-restore-(\d+)-[0-9a-f]{32}\.(dump|list)$")]
    private static partial Regex SpoolPattern();
}
