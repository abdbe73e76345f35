using Bulwark.Operations.Configuration;
using Cronos;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// The enabled jobs of 'schedule:' with their cron expressions, evaluated in one time zone (Cronos: a time skipped
/// by a daylight-saving change runs once at the change, an hour that repeats runs once).
/// </summary>
public sealed class JobSchedule
{
    public JobSchedule(IReadOnlyList<ScheduledJob> jobs, TimeZoneInfo timeZone, bool catchUp)
    {
        Jobs = jobs;
        TimeZone = timeZone;
        CatchUp = catchUp;
    }

    public IReadOnlyList<ScheduledJob> Jobs { get; }
    public TimeZoneInfo TimeZone { get; }

    /// <summary>A run missed while nothing was watching is run once at start.</summary>
    public bool CatchUp { get; }

    /// <summary>The schedule of a configuration (already validated by the loader).</summary>
    public static JobSchedule FromConfig(ScheduleConfig config, TimeProvider time)
    {
        var zone = config.TimeZone is { Length: > 0 } name && TimeZones.TryFind(name, out var found) ? found : time.LocalTimeZone;
        var jobs = new List<ScheduledJob>();
        foreach (var (job, text) in config.Expressions())
        {
            if (DurationText.IsOff(text))
                continue;
            if (!TryParse(text!, out var cron, out var error))
                throw new BulwarkException(ErrorKind.Configuration, $"'schedule.{job}': {error}", "fix the cron expression");
            jobs.Add(new ScheduledJob(job, text!.Trim(), cron!));
        }
        return new JobSchedule(jobs, zone, config.CatchUp);
    }

    /// <summary>
    /// The schedule of a whole configuration: with 'sources:', check and cleanup for the repository and a backup and
    /// a drill job per source ("backup.NAME", "drill.NAME", each at its source's times); else as
    /// <see cref="FromConfig(ScheduleConfig, TimeProvider)"/>.
    /// </summary>
    public static JobSchedule FromConfig(BulwarkConfig config, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        var top = FromConfig(config.Schedule, time);
        if (config.Sources.Count == 0)
            return top;
        var jobs = top.Jobs.Where(j => !JobNames.PerSource.Contains(j.Name)).ToList();
        foreach (var source in ConfiguredSource.All(config))
        {
            foreach (var job in FromConfig(source.Settings.Schedule, time).Jobs.Where(j => JobNames.PerSource.Contains(j.Name)))
                jobs.Add(job with { Name = JobNames.ForSource(job.Name, source.Name) });
        }
        return new JobSchedule(jobs, top.TimeZone, top.CatchUp);
    }

    public ScheduledJob? Find(string name) => Jobs.FirstOrDefault(j => j.Name == name);

    /// <summary>The first run strictly after <paramref name="after"/>, or null when the expression never fires again.</summary>
    public DateTimeOffset? NextAfter(ScheduledJob job, DateTimeOffset after) =>
        job.Cron.GetNextOccurrence(after, TimeZone);

    /// <summary>
    /// The first run that was due in (<paramref name="since"/>, <paramref name="now"/>], i.e. missed while nothing ran
    /// the job; null when none was.
    /// </summary>
    public DateTimeOffset? Missed(ScheduledJob job, DateTimeOffset since, DateTimeOffset now) =>
        job.Cron.GetNextOccurrence(since, TimeZone) is { } next && next <= now ? next : null;

    /// <summary>Parses five fields (minute hour day-of-month month day-of-week), six with seconds first, or a macro (@daily, @weekly, …).</summary>
    public static bool TryParse(string text, out CronExpression? cron, out string? error)
    {
        cron = null;
        error = null;
        var trimmed = text.Trim();
        var fields = trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (!trimmed.StartsWith('@') && fields is not (5 or 6))
        {
            error = $"'{text}' has {fields} field{(fields == 1 ? "" : "s")}; a cron expression has five (minute hour day-of-month month day-of-week)";
            return false;
        }
        // cron runs when either day field matches, Cronos (and systemd) when both do: refuse the ambiguity.
        if (!trimmed.StartsWith('@') &&
            trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^3..].Where((_, i) => i != 1).All(d => d is not ("*" or "?")))
        {
            error = $"'{text}' restricts both the day of month and the day of week, which cron and other schedulers read differently";
            return false;
        }
        try
        {
            cron = CronExpression.Parse(string.Join(' ', trimmed.Split(' ', StringSplitOptions.RemoveEmptyEntries)),
                fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
            return true;
        }
        catch (CronFormatException e)
        {
            error = $"'{text}' is not a cron expression: {e.Message}";
            return false;
        }
    }
}
