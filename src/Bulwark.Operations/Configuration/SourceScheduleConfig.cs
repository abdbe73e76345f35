using Bulwark.Operations.Scheduling;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// A source's own schedule of the jobs that act on one source (backup, drill); check and cleanup act on the whole
/// repository and keep the top-level schedule.
/// </summary>
public sealed class SourceScheduleConfig : IConfigSection
{
    /// <summary>Cron expression or "off"; unset: the top-level 'schedule.backup'.</summary>
    public string? Backup { get; set; }

    /// <summary>Cron expression or "off"; unset: the top-level 'schedule.drill'.</summary>
    public string? Drill { get; set; }

    public void Validate(LoadedConfig config, string key)
    {
        foreach (var (job, text) in new[] { (JobNames.Backup, Backup), (JobNames.Drill, Drill) })
        {
            if (text is null || DurationText.IsOff(text))
                continue;
            if (!JobSchedule.TryParse(text, out _, out var error))
                throw config.Error($"{key}.{job}", error!,
                    "write five fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *' for 02:00 every day, or off");
        }
    }
}
