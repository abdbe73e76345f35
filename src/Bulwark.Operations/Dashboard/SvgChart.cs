using System.Globalization;
using System.Text;

namespace Bulwark.Operations.Dashboard;

/// <summary>
/// Charts as inline SVG, drawn on the server: no script, a few kilobytes each. Colours come from the stylesheet's
/// classes; every mark also differs in shape where it carries meaning (a failed drill is a cross, a passed one a dot).
/// </summary>
internal static class SvgChart
{
    private const double Width = 640, Height = 180, Left = 64, Right = 12, Top = 12, Bottom = 28;

    /// <summary>
    /// A point in time with a value; <paramref name="Failed"/> draws a cross instead of a dot. The label is not drawn
    /// (a tooltip per mark weighs much on a page of 1,000 snapshots): the tables beside each chart carry the numbers.
    /// </summary>
    public readonly record struct Point(DateTimeOffset Time, double Value, string Label, bool Failed = false);

    public enum Kind { Line, Bars, Marks }

    public static string Render(string id, string title, string description, Kind kind, IReadOnlyList<Point> points,
        DateTimeOffset from, DateTimeOffset to, Func<double, string> axis)
    {
        var max = points.Count == 0 ? 1 : Math.Max(points.Max(p => p.Value), 0);
        if (max <= 0)
            max = 1;
        var span = Math.Max((to - from).TotalSeconds, 1);
        double X(DateTimeOffset t) => Left + (Width - Left - Right) * Math.Clamp((t - from).TotalSeconds / span, 0, 1);
        double Y(double v) => Top + (Height - Top - Bottom) * (1 - v / max);
        var s = new StringBuilder(1024 + points.Count * 90);
        s.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" id=\"{id}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\">");
        s.Append(CultureInfo.InvariantCulture, $"<title id=\"{id}-t\">{DashboardText.Html(title)}</title><desc id=\"{id}-d\">{DashboardText.Html(description)}</desc>");
        // Axes, grid line at the top value, labels: the highest value and the two ends of the time span.
        s.Append(CultureInfo.InvariantCulture, $"<g class=\"axis\" aria-hidden=\"true\"><line x1=\"{Left}\" y1=\"{Y(0):0}\" x2=\"{Width - Right}\" y2=\"{Y(0):0}\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Width - Right}\" y2=\"{Top}\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\">{DashboardText.Html(axis(max))}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Y(0) + 4:0}\" text-anchor=\"end\">0</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 8}\">{from:yyyy-MM-dd}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{Height - 8}\" text-anchor=\"end\">{to:yyyy-MM-dd}</text></g>");
        if (points.Count == 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"<text class=\"empty\" x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return s.ToString();
        }
        s.Append("<g class=\"marks\">");
        // One path per series, integer coordinates: a page of ten sources and 1,000 snapshots stays small.
        var xy = Bound(points.Select(p => (X: (int)Math.Round(X(p.Time)), Y: (int)Math.Round(Y(p.Value)), p.Failed)).ToList());
        switch (kind)
        {
            case Kind.Line:
                if (xy.Count > 1)
                {
                    s.Append("<path class=\"line\" d=\"M");
                    foreach (var (x, y, _) in xy)
                        s.Append(CultureInfo.InvariantCulture, $"{x} {y} ");
                    s.Append("\"/>");
                }
                // A dot per point: a one-unit dash with round caps.
                s.Append("<path class=\"mark dots\" d=\"");
                foreach (var (x, y, _) in xy)
                    s.Append(CultureInfo.InvariantCulture, $"M{x} {y}h1");
                s.Append("\"/>");
                break;
            case Kind.Bars:
                var barWidth = Math.Max(2, (int)((Width - Left - Right) / Math.Max(span / 86400, 1) - 1));
                var bottom = (int)Math.Round(Y(0));
                s.Append(CultureInfo.InvariantCulture, $"<path class=\"mark bars\" stroke-width=\"{barWidth}\" d=\"");
                foreach (var (x, y, _) in xy)
                    s.Append(CultureInfo.InvariantCulture, $"M{x} {bottom}V{Math.Min(y, bottom - 1)}");
                s.Append("\"/>");
                break;
            default:
                AppendMarks(s, "mark pass", xy.Where(p => !p.Failed), (x, y) => $"M{x} {y}h1");
                AppendMarks(s, "mark fail", xy.Where(p => p.Failed), (x, y) => $"M{x - 5} {y - 5}l10 10m0 -10l-10 10");
                break;
        }
        s.Append("</g></svg>");
        return s.ToString();
    }

    private static void AppendMarks(StringBuilder s, string classes, IEnumerable<(int X, int Y, bool Failed)> points, Func<int, int, string> mark)
    {
        var d = string.Concat(points.Select(p => mark(p.X, p.Y)));
        if (d.Length > 0)
            s.Append("<path class=\"").Append(classes).Append("\" d=\"").Append(d).Append("\"/>");
    }

    /// <summary>
    /// At most two points per pixel column (its lowest and highest), so the chart's weight is bounded by its width
    /// however many snapshots there are; failed marks are always kept.
    /// </summary>
    private static List<(int X, int Y, bool Failed)> Bound(List<(int X, int Y, bool Failed)> points)
    {
        if (points.Count <= Width - Left - Right)
            return points;
        var bounded = new List<(int X, int Y, bool Failed)>();
        foreach (var column in points.GroupBy(p => p.X))
        {
            var low = column.MaxBy(p => p.Y);
            var high = column.MinBy(p => p.Y);
            bounded.Add(low);
            if (high != low)
                bounded.Add(high);
            bounded.AddRange(column.Where(p => p.Failed && p != low && p != high));
        }
        return bounded;
    }
}
