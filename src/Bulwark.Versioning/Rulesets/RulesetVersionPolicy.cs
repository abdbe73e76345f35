using System.Globalization;
using Semver;

namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// How ruleset versions are numbered and compared: Semantic Versioning 2.0, stored in strict form and given by people
/// with an optional leading 'v'. A new version raises the highest release; a pre-release counts up per label.
/// </summary>
public static class RulesetVersionPolicy
{
    /// <summary>
    /// The version a new registration gets. The release line is the highest release so far (none: the first
    /// release is 1.0.0 whatever the bump); <paramref name="prerelease"/> makes it LABEL.N with N one above the
    /// highest existing for that release and label.
    /// </summary>
    public static SemVersion NextVersion(IEnumerable<string> existing, VersionBump bump, string? prerelease)
    {
        var versions = existing.Select(Stored).ToList();
        var highestRelease = versions.Where(v => !v.IsPrerelease).OrderBy(v => v, SemVersion.PrecedenceComparer).LastOrDefault();
        var core = highestRelease is null
            ? new SemVersion(1, 0, 0)
            : bump switch
            {
                VersionBump.Major => new SemVersion(highestRelease.Major + 1, 0, 0),
                VersionBump.Minor => new SemVersion(highestRelease.Major, highestRelease.Minor + 1, 0),
                _ => new SemVersion(highestRelease.Major, highestRelease.Minor, highestRelease.Patch + 1),
            };
        var next = core;
        if (prerelease is not null)
        {
            var number = versions
                .Where(v => v.Major == core.Major && v.Minor == core.Minor && v.Patch == core.Patch &&
                            v.PrereleaseIdentifiers.Count == 2 && v.PrereleaseIdentifiers[0].Value == prerelease &&
                            v.PrereleaseIdentifiers[1].NumericValue is not null)
                .Select(v => v.PrereleaseIdentifiers[1].NumericValue!.Value)
                .DefaultIfEmpty(0)
                .Max() + 1;
            next = core.WithPrerelease(prerelease, number.ToString(CultureInfo.InvariantCulture));
        }
        if (versions.Any(v => v.Equals(next)))
            throw new BulwarkException(ErrorKind.Internal, $"version {next} exists already", "report this");
        return next;
    }

    /// <summary>Parses a version given by a person (a leading 'v' is accepted); anything else is a usage error.</summary>
    public static SemVersion ParseVersion(string text)
    {
        if (SemVersion.TryParse(text?.Trim() ?? "", SemVersionStyles.AllowV, out var version))
            return version;
        throw new BulwarkException(ErrorKind.Usage, $"'{text}' is not a semantic version",
            "write MAJOR.MINOR.PATCH with an optional -PRERELEASE, e.g. 1.0.1 or 1.1.0-rc.1");
    }

    public static VersionBump ParseBump(string text) => text?.Trim().ToLowerInvariant() switch
    {
        "patch" => VersionBump.Patch,
        "minor" => VersionBump.Minor,
        "major" => VersionBump.Major,
        _ => throw new BulwarkException(ErrorKind.Usage, $"'{text}' is not a version bump", "use patch, minor or major"),
    };

    /// <summary>A pre-release label: letters, digits and '-', not only digits (1.1.0-rc.1 has the label "rc").</summary>
    public static void ValidatePrereleaseLabel(string label)
    {
        if (label.Length == 0 || label.Length > 40 || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ||
            label.All(char.IsAsciiDigit))
            throw new BulwarkException(ErrorKind.Usage, $"'{label}' is not a pre-release label",
                "use letters, digits and '-' with at least one letter, e.g. rc, beta, alpha");
    }

    /// <summary>Whether a stored version is <paramref name="wanted"/> (build metadata included).</summary>
    public static bool Is(string stored, SemVersion wanted) => Stored(stored).Equals(wanted);

    /// <summary>Stored versions in semantic-version order (pre-releases before their release).</summary>
    public static IOrderedEnumerable<T> InVersionOrder<T>(IEnumerable<T> items, Func<T, string> version) =>
        items.OrderBy(item => Stored(version(item)), SemVersion.SortOrderComparer);

    private static SemVersion Stored(string version) => SemVersion.Parse(version, SemVersionStyles.Strict);
}
