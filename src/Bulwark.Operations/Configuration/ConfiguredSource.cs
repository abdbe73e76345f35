namespace Bulwark.Operations.Configuration;

/// <summary>
/// A source as operations see it: its name and the configuration with its own sections in place of the top-level
/// ones ('postgres', 'files', 'modules', 'retention', 'alerts', and the backup and drill schedules).
/// </summary>
/// <param name="Name">The source's name (<see cref="SourceNames.Default"/> for the single 'postgres:' form).</param>
/// <param name="Settings">The configuration of this source.</param>
/// <param name="Key">Where its own sections are, for messages: "sources[1]", or "" for the top level.</param>
/// <param name="Named">It comes from 'sources:' (not the single 'postgres:' form).</param>
public sealed record ConfiguredSource(string Name, BulwarkConfig Settings, string Key, bool Named)
{
    /// <summary>The key of one of this source's sections ("retention" or "sources[1].retention").</summary>
    public string KeyOf(string section, bool own) => own && Key.Length > 0 ? $"{Key}.{section}" : section;

    /// <summary>The sources of a configuration, in the order written; the single 'postgres:' form is one, named default.</summary>
    public static IReadOnlyList<ConfiguredSource> All(BulwarkConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.Sources.Count == 0)
            return [new ConfiguredSource(SourceNames.Default, config, "", Named: false)];
        return config.Sources.Select((source, i) => new ConfiguredSource(source.Name!, Merge(config, source), $"sources[{i}]", Named: true)).ToList();
    }

    private static BulwarkConfig Merge(BulwarkConfig top, SourceConfig source)
    {
        // 'sources:' stays, so that a source's configuration still says that there are several.
        var merged = top.Copy();
        merged.Postgres = source.Postgres;
        merged.Files = source.Files ?? top.Files;
        merged.Modules = source.Modules ?? top.Modules;
        merged.Retention = source.Retention ?? top.Retention;
        merged.Alerts = source.Alerts ?? top.Alerts;
        if (source.Schedule is { } schedule)
        {
            merged.Schedule = new ScheduleConfig
            {
                TimeZone = top.Schedule.TimeZone,
                Backup = schedule.Backup ?? top.Schedule.Backup,
                Check = top.Schedule.Check,
                Cleanup = top.Schedule.Cleanup,
                Drill = schedule.Drill ?? top.Schedule.Drill,
                CatchUp = top.Schedule.CatchUp,
            };
        }
        return merged;
    }
}
