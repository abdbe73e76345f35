using System.Globalization;
using System.Net;

namespace Bulwark.Operations.Dashboard;

/// <summary>How the dashboard writes numbers, times and text into HTML.</summary>
internal static class DashboardText
{
    public static string Html(string? text) => WebUtility.HtmlEncode(text ?? "");

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => Invariant($"{bytes / 1024.0:0.0} KiB"),
        < 1024L * 1024 * 1024 => Invariant($"{bytes / (1024.0 * 1024):0.0} MiB"),
        _ => Invariant($"{bytes / (1024.0 * 1024 * 1024):0.00} GiB"),
    };

    public static string Duration(TimeSpan duration) => duration.TotalSeconds switch
    {
        < 1 => Invariant($"{duration.TotalMilliseconds:0} ms"),
        < 60 => Invariant($"{duration.TotalSeconds:0.0} s"),
        < 3600 => Invariant($"{(int)duration.TotalMinutes} min {duration.Seconds} s"),
        < 172800 => Invariant($"{(int)duration.TotalHours} h {duration.Minutes} min"),
        _ => Invariant($"{(int)duration.TotalDays} d {duration.Hours} h"),
    };

    public static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A &lt;time&gt; element: machine-readable UTC, shown in the schedule's time zone.</summary>
    public static string Time(DateTimeOffset time, TimeZoneInfo zone, string format = "yyyy-MM-dd HH:mm") =>
        $"<time datetime=\"{time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}\">" +
        $"{TimeZoneInfo.ConvertTime(time, zone).ToString(format, CultureInfo.InvariantCulture)}</time>";

    /// <summary>A &lt;data&gt; element: the exact value for machines, the readable one for people.</summary>
    public static string Data(double value, string shown) => $"<data value=\"{Number(value)}\">{Html(shown)}</data>";
}
