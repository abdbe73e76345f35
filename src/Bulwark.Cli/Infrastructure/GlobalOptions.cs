using System.CommandLine;

namespace Bulwark.Cli.Infrastructure;

/// <summary>Options every command accepts.</summary>
public static class GlobalOptions
{
    public static readonly Option<string?> Config = new("--config", "-c")
    {
        Description = "Configuration file (default: ./bulwark.yml, then ~/.config/bulwark/bulwark.yml; or BULWARK_CONFIG)",
        Recursive = true,
        HelpName = "FILE",
    };

    public static readonly Option<string?> Repository = new("--repo", "-r")
    {
        Description = "Repository location, overriding the configuration (or BULWARK_REPOSITORY)",
        Recursive = true,
        HelpName = "LOCATION",
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print the result as JSON",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Print details of unexpected errors",
        Recursive = true,
    };

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Config);
        root.Options.Add(Repository);
        root.Options.Add(Json);
        root.Options.Add(Verbose);
    }
}
