namespace Bulwark.Operations.Configuration;

/// <summary>How carefully 'bulwark cleanup' collects garbage (docs/retention.md).</summary>
public sealed class CleanupConfig : IConfigSection
{
    /// <summary>An unreferenced chunk younger than this is never deleted.</summary>
    public string GracePeriod { get; set; } = "1h";

    /// <summary>How far apart the clocks of hosts and storage may be; lock and object times are compared with this margin.</summary>
    public string ClockSkew { get; set; } = "5min";

    public TimeSpan GracePeriodValue => Parse(GracePeriod);
    public TimeSpan ClockSkewValue => Parse(ClockSkew);

    public void Validate(LoadedConfig config, string key)
    {
        if (!DurationText.IsOff(GracePeriod) && !DurationText.TryParse(GracePeriod, out _, out var error))
            throw config.Error($"{key}.grace-period", error!, DurationText.Advice);
        if (!DurationText.TryParse(ClockSkew ?? "", out var skew, out error))
            throw config.Error($"{key}.clock-skew", error ?? "missing", DurationText.Advice);
        // File times come from a coarse kernel clock: below a second, a chunk written just after a lock was read
        // could look older than it.
        if (skew < TimeSpan.FromSeconds(1))
            throw config.Error($"{key}.clock-skew", $"{ClockSkew} is less than 1s", "use at least 1s; the default is 5min");
    }

    private static TimeSpan Parse(string? text) =>
        DurationText.IsOff(text) || !DurationText.TryParse(text!, out var value, out _) ? TimeSpan.Zero : value;
}
