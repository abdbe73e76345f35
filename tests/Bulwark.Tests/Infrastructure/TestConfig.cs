using Bulwark.Operations;
using Bulwark.Operations.Configuration;

namespace Bulwark.Tests.Infrastructure;

/// <summary>Builds configurations and contexts for in-process tests.</summary>
public static class TestConfig
{
    /// <summary>A context with a local repository and state under <paramref name="directory"/>, backing up <paramref name="url"/>.</summary>
    public static BulwarkContext Context(TempDirectory directory, string? url, TimeProvider? time = null,
        Action<BulwarkConfig>? configure = null)
    {
        var config = new BulwarkConfig
        {
            Repository = directory.Combine("repo"),
            State = directory.Combine("state"),
            Postgres = new PostgresConfig { Url = url },
        };
        configure?.Invoke(config);
        return new BulwarkContext(LoadedConfig.FromObject(config, directory.Path, _ => null), time);
    }
}
