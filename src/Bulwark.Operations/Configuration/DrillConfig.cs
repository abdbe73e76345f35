namespace Bulwark.Operations.Configuration;

/// <summary>Restore drills (bulwark test-restore).</summary>
public sealed class DrillConfig : IConfigSection
{
    /// <summary>
    /// The server the drill restores into (a postgres:// URL or key=value string; its database name is not used: a
    /// scratch database is created there). Default: the server of 'postgres.url'.
    /// </summary>
    public string? Scratch { get; set; }

    /// <summary>Parallel pg_restore jobs for the scratch restore; above 1 the dump is spooled to the state folder.</summary>
    public int Jobs { get; set; } = 1;

    public void Validate(LoadedConfig config, string key)
    {
        if (Jobs is < 1 or > 64)
            throw config.Error($"{key}.jobs", $"{Jobs} is out of range", "use 1 to 64");
    }
}
