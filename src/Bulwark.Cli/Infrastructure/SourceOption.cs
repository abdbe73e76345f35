using System.CommandLine;
using Bulwark.Operations;

namespace Bulwark.Cli.Infrastructure;

/// <summary>'--source NAME': the configured source a command acts on (see 'sources:' in bulwark.yml).</summary>
public static class SourceOption
{
    public static Option<string?> Create(string description) => new("--source")
    {
        Description = description,
        HelpName = "NAME",
    };

    /// <summary>The context of the named source, or the whole configuration's when no name is given.</summary>
    public static BulwarkContext Context(Invocation run, Option<string?> option)
    {
        ArgumentNullException.ThrowIfNull(run);
        var name = run.Get(option);
        return string.IsNullOrEmpty(name) ? run.Context : run.Context.ForSource(run.Context.SelectSources(name)[0]);
    }
}
