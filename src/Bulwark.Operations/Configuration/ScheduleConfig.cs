using Bulwark.Operations.Scheduling;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// When 'bulwark daemon' (or the crontab and systemd units of 'bulwark schedule install') runs each job: cron
/// expressions (five fields, or six with seconds first) in <see cref="TimeZone"/>; "off" disables a job.
/// </summary>
public sealed class ScheduleConfig : IConfigSection
{
    /// <summary>IANA time zone of the expressions (e.g. Europe/Berlin); default: the machine's time zone.</summary>
    public string? TimeZone { get; set; }

    public string? Backup { get; set; } = "0 2 * * *";
    public string? Check { get; set; } = "0 9 * * 1";
    public string? Cleanup { get; set; } = "0 3 * * 0";

    /// <summary>A restore drill of the newest snapshot (see 'drill:' for where it restores to).</summary>
    public string? Drill { get; set; } = "0 4 * * 6";

    /// <summary>After downtime, a run missed since the last one is run once at start.</summary>
    public bool CatchUp { get; set; } = true;

    public void Validate(LoadedConfig config, string key)
    {
        if (TimeZone is { Length: > 0 } zone && !TimeZones.TryFind(zone, out _))
            throw config.Error($"{key}.time-zone", $"unknown time zone '{zone}'",
                "use an IANA name such as UTC, Europe/Berlin or America/New_York");
        foreach (var (job, text) in Expressions())
        {
            if (DurationText.IsOff(text))
                continue;
            if (!JobSchedule.TryParse(text!, out _, out var error))
                throw config.Error($"{key}.{job}", error!,
                    "write five fields (minute hour day-of-month month day-of-week), e.g. '0 2 * * *' for 02:00 every day, or off");
        }
    }

    /// <summary>Job name → expression text (null or "off" when disabled).</summary>
    public IEnumerable<(string Job, string? Expression)> Expressions() =>
    [
        (JobNames.Backup, Backup),
        (JobNames.Check, Check),
        (JobNames.Cleanup, Cleanup),
        (JobNames.Drill, Drill),
    ];
}
