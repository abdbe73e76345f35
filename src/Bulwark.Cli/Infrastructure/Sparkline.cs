namespace Bulwark.Cli.Infrastructure;

/// <summary>A one-line chart of a series (▁▂▃▄▅▆▇█), scaled between its minimum and maximum.</summary>
public static class Sparkline
{
    private const string Bars = "▁▂▃▄▅▆▇█";

    public static string Render(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
            return "";
        var min = values.Min();
        var max = values.Max();
        var span = max - min;
        return new string(values.Select(v => span <= 0 ? Bars[Bars.Length / 2]
            : Bars[(int)Math.Round((v - min) / span * (Bars.Length - 1))]).ToArray());
    }
}
