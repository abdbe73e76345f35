using Bulwark.Versioning.Modules;

namespace Bulwark.Operations.Configuration;

/// <summary>Files whose version is declared in a header line; every backup records each one's version and SHA-256.</summary>
public sealed class ModulesConfig : IConfigSection
{
    /// <summary>Paths and globs, relative to the configuration file's folder.</summary>
    public List<string> Paths { get; set; } = [];

    /// <summary>Regular expressions with a group named 'version'; empty for the defaults ('@version 1.2.3', 'Version: 1.2.3', '__version__ = "1.2.3"').</summary>
    public List<string> Patterns { get; set; } = [];

    /// <summary>How many lines at the top of a file are searched.</summary>
    public int HeaderLines { get; set; } = ModuleScanner.DefaultHeaderLines;

    public void Validate(LoadedConfig config, string key)
    {
        if (HeaderLines is < 1 or > 10_000)
            throw config.Error($"{key}.header-lines", $"{HeaderLines} is out of range", "use 1 to 10000");
        for (var i = 0; i < Patterns.Count; i++)
        {
            if (ModuleScanner.Compile(Patterns[i]) is null)
                throw config.Error($"{key}.patterns[{i}]", $"'{Patterns[i]}' is not a valid regular expression",
                    "write a .NET regular expression with a group named 'version', e.g. '@version\\s+(?<version>\\S+)'");
        }
    }
}
