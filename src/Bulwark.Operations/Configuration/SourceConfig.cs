namespace Bulwark.Operations.Configuration;

/// <summary>
/// One database of a configuration with several ('sources:'): its name, its connection, its files and modules, and
/// what it overrides of the top-level schedule, retention and alerts. A section left out takes the top-level one.
/// </summary>
public sealed class SourceConfig : IConfigSection
{
    /// <summary>Recorded in every snapshot of the source and used by --source: lower-case letters, digits, '-' and '_'.</summary>
    public string? Name { get; set; }

    /// <summary>The connection: the same keys as the top-level 'postgres:' section.</summary>
    public PostgresConfig Postgres { get; set; } = new();

    /// <summary>Files stored in each snapshot of this source; unset: the top-level 'files:'.</summary>
    public List<string>? Files { get; set; }

    /// <summary>Versioned modules of this source; unset: the top-level 'modules:'.</summary>
    public ModulesConfig? Modules { get; set; }

    /// <summary>When this source's backups and drills run; unset keys: the top-level 'schedule:'.</summary>
    public SourceScheduleConfig? Schedule { get; set; }

    /// <summary>This source's retention policy, as a whole; unset: the top-level 'retention:'.</summary>
    public RetentionConfig? Retention { get; set; }

    /// <summary>Where this source's alerts go, as a whole; unset: the top-level 'alerts:'.</summary>
    public AlertsConfig? Alerts { get; set; }

    public void Validate(LoadedConfig config, string key)
    {
        if (!SourceNames.IsValid(Name))
            throw config.Error(string.IsNullOrEmpty(Name) ? key : $"{key}.name",
                string.IsNullOrEmpty(Name) ? "the source has no name" : $"'{Name}' is not a valid source name",
                SourceNames.Advice);
    }
}
