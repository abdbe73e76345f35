using System.Globalization;
using System.Text;

namespace Bulwark.Repository.Maintenance;

/// <summary>
/// Which snapshots to keep. Keep rules (<see cref="KeepLast"/>, the calendar rules, <see cref="KeepWithin"/>,
/// <see cref="KeepTags"/>) choose snapshots, each independently, and a snapshot chosen by any rule is a candidate;
/// with no keep rule every snapshot is a candidate. The limits (<see cref="MaxAge"/>, <see cref="MaxCount"/>) then
/// cap the candidates. Rules and limits apply to each database's snapshots separately. See
/// <see cref="RetentionEvaluator"/> for the exact semantics and the safety rules that override them.
/// </summary>
public sealed record RetentionPolicy
{
    /// <summary>Nothing older than this (measured from now) is kept; null: no age limit.</summary>
    public TimeSpan? MaxAge { get; init; }
    /// <summary>At most this many snapshots per database (the newest); null: no count limit.</summary>
    public int? MaxCount { get; init; }
    public int KeepLast { get; init; }
    public int KeepDaily { get; init; }
    public int KeepWeekly { get; init; }
    public int KeepMonthly { get; init; }
    public int KeepYearly { get; init; }
    /// <summary>Every snapshot at most this much older than the database's newest snapshot; null: unused.</summary>
    public TimeSpan? KeepWithin { get; init; }
    public IReadOnlyList<string> KeepTags { get; init; } = [];
    /// <summary>The zone whose calendar defines days, weeks (ISO, Monday first), months and years.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The policy that the issue asks for by default: a daily schedule kept for 30 days, at most 100.</summary>
    public static RetentionPolicy Default { get; } = new() { MaxAge = TimeSpan.FromDays(30), MaxCount = 100 };

    public bool HasKeepRules =>
        KeepLast > 0 || KeepDaily > 0 || KeepWeekly > 0 || KeepMonthly > 0 || KeepYearly > 0 || KeepWithin is not null ||
        KeepTags.Count > 0;

    /// <summary>No rule and no limit: nothing to decide by (refused rather than read as "keep all" or "delete all").</summary>
    public bool IsEmpty => !HasKeepRules && MaxAge is null && MaxCount is null;

    /// <summary>One line, e.g. "keep-daily 7, keep-monthly 12, max-age 400d, max-count 100 (Europe/Berlin)".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (KeepLast > 0) parts.Add($"keep-last {KeepLast}");
        if (KeepDaily > 0) parts.Add($"keep-daily {KeepDaily}");
        if (KeepWeekly > 0) parts.Add($"keep-weekly {KeepWeekly}");
        if (KeepMonthly > 0) parts.Add($"keep-monthly {KeepMonthly}");
        if (KeepYearly > 0) parts.Add($"keep-yearly {KeepYearly}");
        if (KeepWithin is { } within) parts.Add($"keep-within {FormatDuration(within)}");
        if (KeepTags.Count > 0) parts.Add($"keep-tag {string.Join(",", KeepTags)}");
        if (MaxAge is { } age) parts.Add($"max-age {FormatDuration(age)}");
        if (MaxCount is { } count) parts.Add($"max-count {count}");
        return (parts.Count == 0 ? "empty" : string.Join(", ", parts)) + $" ({TimeZone.Id})";
    }

    /// <summary>A duration the way the configuration writes it: "30d", "1d12h", "90min".</summary>
    public static string FormatDuration(TimeSpan span)
    {
        if (span == TimeSpan.Zero)
            return "0s";
        var text = new StringBuilder();
        if (span.Days > 0) text.Append(span.Days.ToString(CultureInfo.InvariantCulture)).Append('d');
        if (span.Hours > 0) text.Append(span.Hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (span.Minutes > 0) text.Append(span.Minutes.ToString(CultureInfo.InvariantCulture)).Append("min");
        if (span.Seconds > 0) text.Append(span.Seconds.ToString(CultureInfo.InvariantCulture)).Append('s');
        return text.ToString();
    }
}
