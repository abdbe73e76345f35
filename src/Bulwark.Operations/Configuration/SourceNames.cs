using System.Text.RegularExpressions;

namespace Bulwark.Operations.Configuration;

/// <summary>Names of sources: what is valid, and the name of the single 'postgres:' source.</summary>
public static partial class SourceNames
{
    /// <summary>
    /// The source of a configuration without 'sources:'. Its snapshots record no name, as those made before sources
    /// existed, so a snapshot without a name belongs to it.
    /// </summary>
    public const string Default = "default";

    public const string Advice = "name it with 1 to 63 lower-case letters, digits, '-' and '_', starting with a letter or digit (e.g. app-db)";

    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>The name a snapshot records: null for the default source.</summary>
    public static string? ForManifest(string name) => name == Default ? null : name;

    /// <summary>The source a snapshot belongs to, from the name it records.</summary>
    public static string FromManifest(string? recorded) => string.IsNullOrEmpty(recorded) ? Default : recorded;

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
