using Bulwark.Repository.Maintenance;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// Which snapshots 'bulwark cleanup' keeps (docs/retention.md). Keep rules choose, limits cap, safety rules override;
/// see <see cref="RetentionEvaluator"/>.
/// </summary>
public sealed class RetentionConfig : IConfigSection
{
    /// <summary>Nothing older is kept (from now). "off" for no limit.</summary>
    public string? MaxAge { get; set; } = "30d";

    /// <summary>At most this many snapshots per database; 0 for no limit.</summary>
    public int MaxCount { get; set; } = 100;

    public int KeepLast { get; set; }
    public int KeepDaily { get; set; }
    public int KeepWeekly { get; set; }
    public int KeepMonthly { get; set; }
    public int KeepYearly { get; set; }

    /// <summary>Keep every snapshot taken within this duration before the newest one.</summary>
    public string? KeepWithin { get; set; }

    /// <summary>Keep every snapshot with one of these tags.</summary>
    public List<string> KeepTag { get; set; } = [];

    /// <summary>IANA time zone of the calendar rules (e.g. Europe/Berlin); default: the machine's time zone.</summary>
    public string? TimeZone { get; set; }

    public void Validate(LoadedConfig config, string key)
    {
        var maxAge = Duration(config, $"{key}.max-age", MaxAge);
        var within = Duration(config, $"{key}.keep-within", KeepWithin);
        foreach (var (name, value) in Counts())
        {
            if (value < 0)
                throw config.Error($"{key}.{name}", $"{value} is negative", "use 0 (unused) or a positive number");
        }
        if (MaxCount < 0)
            throw config.Error($"{key}.max-count", $"{MaxCount} is negative", "use 0 (no limit) or a positive number");
        if (TimeZone is { Length: > 0 } zone && !TryFindZone(zone, out _))
            throw config.Error($"{key}.time-zone", $"unknown time zone '{zone}'",
                "use an IANA name such as UTC, Europe/Berlin or America/New_York");
        if (KeepTag.Any(string.IsNullOrWhiteSpace))
            throw config.Error($"{key}.keep-tag", "a tag is empty", "list tags as they appear in 'bulwark list'");

        // Rules the limits would silently defeat are errors, so that the cap is never a surprise.
        if (MaxCount > 0 && KeepLast > MaxCount)
            throw config.Error($"{key}.keep-last", $"keep-last {KeepLast} is more than max-count {MaxCount}",
                $"raise max-count to at least {KeepLast}, or set it to 0 (no limit)");
        if (maxAge is { } age)
        {
            if (within is { } w && w > age)
                throw config.Error($"{key}.keep-within",
                    $"keep-within {RetentionPolicy.FormatDuration(w)} reaches further back than max-age {RetentionPolicy.FormatDuration(age)}",
                    "max-age removes everything older; raise max-age or set it to off");
            foreach (var (name, count, unitDays) in new[] { ("keep-daily", KeepDaily, 1), ("keep-weekly", KeepWeekly, 7), ("keep-monthly", KeepMonthly, 28), ("keep-yearly", KeepYearly, 365) })
            {
                var reach = TimeSpan.FromDays((long)Math.Max(0, count - 1) * unitDays);
                if (count > 0 && reach > age)
                    throw config.Error($"{key}.{name}",
                        $"{name} {count} reaches back at least {RetentionPolicy.FormatDuration(reach)}, but max-age {RetentionPolicy.FormatDuration(age)} removes everything older",
                        $"raise max-age (e.g. max-age: {Math.Ceiling(reach.TotalDays / 365.0 + 0.1) * 365:0}d) or set it to off");
            }
        }
    }

    /// <summary>The policy, or a configuration error naming the section when it is empty.</summary>
    public RetentionPolicy ToPolicy(LoadedConfig config, string key, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        TimeZoneInfo zone = time.LocalTimeZone;
        if (TimeZone is { Length: > 0 } name && TryFindZone(name, out var found))
            zone = found;
        var policy = new RetentionPolicy
        {
            MaxAge = Duration(config, $"{key}.max-age", MaxAge),
            MaxCount = MaxCount > 0 ? MaxCount : null,
            KeepLast = KeepLast,
            KeepDaily = KeepDaily,
            KeepWeekly = KeepWeekly,
            KeepMonthly = KeepMonthly,
            KeepYearly = KeepYearly,
            KeepWithin = Duration(config, $"{key}.keep-within", KeepWithin),
            KeepTags = KeepTag.ToList(),
            TimeZone = zone,
        };
        if (policy.IsEmpty)
            throw config.Error(key,
                "the retention policy is empty (max-age is off, max-count is 0 and no keep-* rule is set), so cleanup has nothing to go by",
                "set max-age, max-count or a keep-* rule (the defaults are max-age: 30d and max-count: 100)");
        return policy;
    }

    private IEnumerable<(string Name, int Value)> Counts() =>
    [
        ("keep-last", KeepLast), ("keep-daily", KeepDaily), ("keep-weekly", KeepWeekly),
        ("keep-monthly", KeepMonthly), ("keep-yearly", KeepYearly),
    ];

    private static TimeSpan? Duration(LoadedConfig config, string key, string? text)
    {
        if (DurationText.IsOff(text))
            return null;
        if (!DurationText.TryParse(text!, out var duration, out var error))
            throw config.Error(key, error!, DurationText.Advice);
        return duration;
    }

    private static bool TryFindZone(string name, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }
}
