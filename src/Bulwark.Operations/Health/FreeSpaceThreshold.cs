using System.Globalization;
using System.Text.RegularExpressions;

namespace Bulwark.Operations.Health;

/// <summary>A free-space threshold: a percentage of the file system's size, or a number of bytes.</summary>
public sealed partial record FreeSpaceThreshold(double? Percent, long? Bytes)
{
    /// <summary>True when <paramref name="free"/> bytes of <paramref name="total"/> is below the threshold.</summary>
    public bool IsBelow(long free, long total) =>
        Percent is { } percent ? total > 0 && free * 100.0 / total < percent : free < Bytes!.Value;

    /// <summary>The threshold in bytes for a file system of <paramref name="total"/> bytes.</summary>
    public long InBytes(long total) => Percent is { } percent ? (long)(total * percent / 100) : Bytes!.Value;

    public override string ToString() =>
        Percent is { } percent ? percent.ToString("0.##", CultureInfo.InvariantCulture) + "%" : Demo.DemoRunner.Bytes(Bytes!.Value);

    public static bool TryParse(string text, out FreeSpaceThreshold threshold)
    {
        threshold = new FreeSpaceThreshold(null, 0);
        var match = Pattern().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            return false;
        var unit = match.Groups[2].Value.ToLowerInvariant();
        if (unit == "%")
        {
            if (number is < 0 or > 100)
                return false;
            threshold = new FreeSpaceThreshold(number, null);
            return true;
        }
        double factor = unit switch
        {
            "" or "b" => 1,
            "kb" => 1e3, "mb" => 1e6, "gb" => 1e9, "tb" => 1e12,
            "kib" => 1L << 10, "mib" => 1L << 20, "gib" => 1L << 30, "tib" => 1L << 40,
            _ => 0,
        };
        if (factor == 0)
            return false;
        threshold = new FreeSpaceThreshold(null, (long)(number * factor));
        return true;
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(%|b|kb|mb|gb|tb|kib|mib|gib|tib)?$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
