using System.Globalization;
using System.Text.RegularExpressions;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// Durations in the configuration: one or more number-unit pairs, e.g. "30d", "1d12h", "90min", "2w", "1y".
/// Units: s, min, h, d (24 hours), w (7 days), y (365 days). "m" is refused because restic reads it as months and
/// other tools as minutes.
/// </summary>
public static partial class DurationText
{
    /// <summary>"off", "none" and "0" mean no duration.</summary>
    public static bool IsOff(string? text) =>
        string.IsNullOrWhiteSpace(text) || text.Trim() is "off" or "none" or "0";

    /// <summary>Parses <paramref name="text"/>; <paramref name="error"/> says what is wrong when it returns false.</summary>
    public static bool TryParse(string text, out TimeSpan duration, out string? error)
    {
        duration = TimeSpan.Zero;
        error = null;
        var compact = text.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant();
        if (!Whole().IsMatch(compact))
        {
            error = $"'{text}' is not a duration";
            return false;
        }
        try
        {
            foreach (Match match in Part().Matches(compact))
            {
                var number = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
                var unit = match.Groups[2].Value;
                if (unit == "m")
                {
                    error = $"'{text}': 'm' is ambiguous (minutes or months)";
                    return false;
                }
                duration += unit switch
                {
                    "s" => TimeSpan.FromSeconds(number),
                    "min" => TimeSpan.FromMinutes(number),
                    "h" => TimeSpan.FromHours(number),
                    "d" => TimeSpan.FromDays(number),
                    "w" => TimeSpan.FromDays(number * 7),
                    "y" => TimeSpan.FromDays(number * 365),
                    _ => throw new FormatException(),
                };
            }
        }
        catch (Exception e) when (e is OverflowException or FormatException or ArgumentOutOfRangeException)
        {
            error = $"'{text}' is not a duration";
            return false;
        }
        return true;
    }

    public const string Advice = "write a number and a unit, e.g. 30d, 12h, 90min, 2w, 1y (s, min, h, d, w, y), or off";

    [GeneratedRegex(@"(\d+)(min|s|m|h|d|w|y)")]
    private static partial Regex Part();

    [GeneratedRegex(@"^(\d+(min|s|m|h|d|w|y))+$")]
    private static partial Regex Whole();
}
