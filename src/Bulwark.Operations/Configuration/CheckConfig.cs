using Bulwark.Operations.Health;

namespace Bulwark.Operations.Configuration;

/// <summary>Thresholds of 'bulwark check' (docs/operations.md, "Health checks"). "off" disables a threshold.</summary>
public sealed class CheckConfig : IConfigSection
{
    /// <summary>The newest backup of a database older than this: WARNING.</summary>
    public string BackupAgeWarning { get; set; } = "26h";

    /// <summary>… older than this: CRITICAL.</summary>
    public string BackupAgeCritical { get; set; } = "50h";

    /// <summary>The newest backup smaller than the median of the ones before it by this much: WARNING.</summary>
    public string SizeDropWarning { get; set; } = "50%";

    /// <summary>… by this much: CRITICAL (an empty dump is the classic silent failure).</summary>
    public string SizeDropCritical { get; set; } = "90%";

    /// <summary>The newest backup larger than the median by this much (100% = twice as large): WARNING.</summary>
    public string SizeGrowthWarning { get; set; } = "100%";

    /// <summary>How many backups before the newest one the median is taken over (at least 3 are needed to judge).</summary>
    public int SizeWindow { get; set; } = 7;

    /// <summary>Free space where the repository (a local folder) or the state folder lives below this: WARNING. A percentage or a size (5GiB).</summary>
    public string DiskFreeWarning { get; set; } = "10%";

    /// <summary>… below this: CRITICAL.</summary>
    public string DiskFreeCritical { get; set; } = "5%";

    /// <summary>The newest restore drill older than this: WARNING (only once a drill has run).</summary>
    public string DrillAgeWarning { get; set; } = "8d";

    /// <summary>The newest archived WAL segment older than this: WARNING (only once WAL is archived; suits archive_timeout up to a few minutes).</summary>
    public string WalAgeWarning { get; set; } = "15min";

    /// <summary>… older than this: CRITICAL.</summary>
    public string WalAgeCritical { get; set; } = "60min";

    /// <summary>Percentage of the newest snapshot's data that every check reads back (0: structure only).</summary>
    public double ReadDataSubset { get; set; }

    public TimeSpan? BackupAgeWarningValue => Duration(BackupAgeWarning);
    public TimeSpan? BackupAgeCriticalValue => Duration(BackupAgeCritical);
    public TimeSpan? DrillAgeWarningValue => Duration(DrillAgeWarning);
    public TimeSpan? WalAgeWarningValue => Duration(WalAgeWarning);
    public TimeSpan? WalAgeCriticalValue => Duration(WalAgeCritical);
    public double? SizeDropWarningValue => Percent(SizeDropWarning);
    public double? SizeDropCriticalValue => Percent(SizeDropCritical);
    public double? SizeGrowthWarningValue => Percent(SizeGrowthWarning);
    public FreeSpaceThreshold? DiskFreeWarningValue => FreeSpace(DiskFreeWarning);
    public FreeSpaceThreshold? DiskFreeCriticalValue => FreeSpace(DiskFreeCritical);

    public void Validate(LoadedConfig config, string key)
    {
        foreach (var (name, text) in new[] { ("backup-age-warning", BackupAgeWarning), ("backup-age-critical", BackupAgeCritical), ("drill-age-warning", DrillAgeWarning), ("wal-age-warning", WalAgeWarning), ("wal-age-critical", WalAgeCritical) })
        {
            if (!DurationText.IsOff(text) && !DurationText.TryParse(text, out _, out var error))
                throw config.Error($"{key}.{name}", error!, DurationText.Advice);
        }
        if (BackupAgeWarningValue is { } warn && BackupAgeCriticalValue is { } crit && crit < warn)
            throw config.Error($"{key}.backup-age-critical", $"{BackupAgeCritical} is less than backup-age-warning {BackupAgeWarning}",
                "the critical age must be at least the warning age");
        if (WalAgeWarningValue is { } walWarn && WalAgeCriticalValue is { } walCrit && walCrit < walWarn)
            throw config.Error($"{key}.wal-age-critical", $"{WalAgeCritical} is less than wal-age-warning {WalAgeWarning}",
                "the critical age must be at least the warning age");
        foreach (var (name, text, max) in new[] { ("size-drop-warning", SizeDropWarning, 100.0), ("size-drop-critical", SizeDropCritical, 100.0), ("size-growth-warning", SizeGrowthWarning, double.MaxValue) })
        {
            if (DurationText.IsOff(text))
                continue;
            if (!TryParsePercent(text, out var value) || value <= 0 || value > max)
                throw config.Error($"{key}.{name}", $"'{text}' is not a percentage{(max <= 100 ? " between 1% and 100%" : " above 0%")}",
                    "write e.g. 50%, or off");
        }
        if (SizeDropWarningValue is { } dropWarn && SizeDropCriticalValue is { } dropCrit && dropCrit < dropWarn)
            throw config.Error($"{key}.size-drop-critical", $"{SizeDropCritical} is less than size-drop-warning {SizeDropWarning}",
                "the critical drop must be at least the warning drop");
        if (SizeWindow < 3)
            throw config.Error($"{key}.size-window", $"{SizeWindow} is less than 3", "a median needs at least 3 earlier backups; the default is 7");
        foreach (var (name, text) in new[] { ("disk-free-warning", DiskFreeWarning), ("disk-free-critical", DiskFreeCritical) })
        {
            if (!DurationText.IsOff(text) && !FreeSpaceThreshold.TryParse(text, out _))
                throw config.Error($"{key}.{name}", $"'{text}' is neither a percentage nor a size",
                    "write e.g. 10% or 5GiB (B, KiB, MiB, GiB, TiB, or KB, MB, GB, TB), or off");
        }
        if (ReadDataSubset is < 0 or > 100 || double.IsNaN(ReadDataSubset))
            throw config.Error($"{key}.read-data-subset", $"{ReadDataSubset} is not between 0 and 100", "give a percentage, e.g. 5");
    }

    private static TimeSpan? Duration(string? text) =>
        DurationText.IsOff(text) || !DurationText.TryParse(text!, out var value, out _) ? null : value;

    private static double? Percent(string? text) =>
        DurationText.IsOff(text) || !TryParsePercent(text!, out var value) ? null : value;

    private static FreeSpaceThreshold? FreeSpace(string? text) =>
        DurationText.IsOff(text) || !FreeSpaceThreshold.TryParse(text!, out var value) ? null : value;

    internal static bool TryParsePercent(string text, out double value) =>
        double.TryParse(text.Trim().TrimEnd('%').Trim(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out value);
}
