using Bulwark.Operations;
using Bulwark.Operations.Configuration;

namespace Bulwark.Tests.Infrastructure;

/// <summary>Contexts of configurations with several sources ('sources:'), for in-process tests.</summary>
public static class FleetConfig
{
    /// <summary>A local repository and state under <paramref name="directory"/>, and one source per (name, URL).</summary>
    public static BulwarkContext Context(TempDirectory directory, IEnumerable<(string Name, string Url)> sources,
        TimeProvider? time = null, Action<BulwarkConfig>? configure = null)
    {
        var config = new BulwarkConfig
        {
            Repository = directory.Combine("repo"),
            State = directory.Combine("state"),
            Sources = sources.Select(s => new SourceConfig { Name = s.Name, Postgres = new PostgresConfig { Url = s.Url } }).ToList(),
            Check = new CheckConfig { DiskFreeWarning = "off", DiskFreeCritical = "off" },
        };
        configure?.Invoke(config);
        return new BulwarkContext(LoadedConfig.FromObject(config, directory.Path, _ => null), time);
    }

    /// <summary>A server address where nothing listens: a source that cannot be reached.</summary>
    public const string Unreachable = "postgres://nobody@127.0.0.1:9/nothing";
}
