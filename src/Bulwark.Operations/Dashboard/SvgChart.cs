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
        s.Append(CultureInfo.InvariantCulture, $"<g class=\"axis\" aria-hidden=\"true\"><line x1=\"{Left}\" y1=\"{Y(0):0.#}\" x2=\"{Width - Right}\" y2=\"{Y(0):0.#}\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{Top}\" x2=\"{Width - Right}\" y2=\"{Top}\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Top + 4}\" text-anchor=\"end\">{DashboardText.Html(axis(max))}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Y(0) + 4:0.#}\" text-anchor=\"end\">0</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"{Height - 8}\">{from:yyyy-MM-dd}</text>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{Height - 8}\" text-anchor=\"end\">{to:yyyy-MM-dd}</text></g>");
        if (points.Count == 0)
        {
            s.Append(CultureInfo.InvariantCulture, $"<text class=\"empty\" x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return s.ToString();
        }
        s.Append("<g class=\"marks\">");
        if (kind == Kind.Line && points.Count > 1)
        {
            s.Append("<polyline class=\"line\" points=\"");
            foreach (var p in points)
                s.Append(CultureInfo.InvariantCulture, $"{X(p.Time):0.#},{Y(p.Value):0.#} ");
            s.Append("\"/>");
        }
        var barWidth = Math.Max(2, (Width - Left - Right) / Math.Max(span / 86400, 1) - 1);
        foreach (var p in points)
        {
            var x = X(p.Time);
            var y = Y(p.Value);
            switch (kind)
            {
                case Kind.Bars:
                    s.Append(CultureInfo.InvariantCulture,
                        $"<rect class=\"mark\" x=\"{x - barWidth / 2:0.#}\" y=\"{y:0.#}\" width=\"{barWidth:0.#}\" height=\"{Math.Max(Y(0) - y, 1):0.#}\"/>");
                    break;
                case Kind.Marks when p.Failed:
                    s.Append(CultureInfo.InvariantCulture,
                        $"<path class=\"mark fail\" d=\"M{x - 5:0.#} {y - 5:0.#}l10 10m0 -10l-10 10\"/>");
                    break;
                default:
                    s.Append(CultureInfo.InvariantCulture,
                        $"<circle class=\"mark{(kind == Kind.Marks ? " pass" : "")}\" cx=\"{x:0.#}\" cy=\"{y:0.#}\" r=\"{(kind == Kind.Marks ? 5 : 3)}\"/>");
                    break;
            }
        }
        s.Append("</g></svg>");
        return s.ToString();
    }
}
