using System.Globalization;
using System.Text;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Health;
using Bulwark.Operations.Status;
using static Bulwark.Operations.Dashboard.DashboardText;

namespace Bulwark.Operations.Dashboard;

/// <summary>
/// The dashboard: one HTML page from a <see cref="StatusReport"/> (the data of 'status --json'), charts drawn as SVG.
/// Served by the daemon with its stylesheet and refresh script as files, or written by 'status --html' as one
/// self-contained file (stylesheet inline, no script). No inline script or style attribute, so a strict CSP holds.
/// </summary>
public static class DashboardPage
{
    private static readonly int HistoryDays = (int)StatusOperation.HistoryLength.TotalDays;

    /// <summary>
    /// Rows shown in each per-source table (the newest): the page stays small as snapshots accumulate; the daemon's
    /// page links every row (/status), a static page names 'bulwark status --json'.
    /// </summary>
    public const int TableRows = 10;

    public static string Render(StatusReport report, bool standalone, int refreshSeconds = 60)
    {
        var zone = Zone(report.TimeZone);
        var s = new StringBuilder(64 * 1024);
        s.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
        s.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        s.Append("<meta name=\"color-scheme\" content=\"light dark\">");
        var overall = report.Health?.Status;
        s.Append($"<title>Bulwark{(overall is { } o ? " " + o.Label() : "")} — {Html(report.Repository ?? "no repository")}</title>");
        if (standalone)
            s.Append("<style>").Append(DashboardAssets.Stylesheet).Append("</style>");
        else
            s.Append($"<link rel=\"icon\" href=\"{DashboardAssets.IconPath}\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"{DashboardAssets.StylesheetPath}\"><script src=\"{DashboardAssets.ScriptPath}\" defer></script>");
        s.Append("</head><body>");
        s.Append("<header><h1>Bulwark</h1></header>");
        s.Append(CultureInfo.InvariantCulture, $"<main id=\"dashboard\" data-refresh=\"{refreshSeconds}\">");
        s.Append($"<p>Repository <strong>{Html(report.Repository ?? "(none configured)")}</strong> · {report.Snapshots} snapshots · " +
                 $"as of {Time(report.Time, zone, "yyyy-MM-dd HH:mm:ss")} ({Html(report.TimeZone)})");
        if (overall is { } status)
            s.Append(" · health ").Append(State(status));
        s.Append("</p>");
        foreach (var error in report.Errors)
            s.Append($"<p class=\"state state-critical\" role=\"alert\">✗ {Html(error)}</p>");
        Health(s, report);
        foreach (var source in report.Sources)
            Source(s, report, source, zone, standalone);
        Schedule(s, report, zone);
        Rulesets(s, report, zone);
        Modules(s, report);
        s.Append("</main></body></html>\n");
        return s.ToString();
    }

    private static TimeZoneInfo Zone(string id)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Utc;
        }
    }

    private static string State(HealthStatus status)
    {
        var symbol = status switch { HealthStatus.Ok => "✓", HealthStatus.Warning => "!", HealthStatus.Critical => "✗", _ => "?" };
        return $"<span class=\"state state-{status.ToString().ToLowerInvariant()}\"><span aria-hidden=\"true\">{symbol} </span>{status.Label()}</span>";
    }

    private static void Health(StringBuilder s, StatusReport report)
    {
        s.Append("<section aria-labelledby=\"h-health\"><h2 id=\"h-health\">Health checks</h2>");
        if (report.Health is not { } health)
        {
            s.Append("<p class=\"muted\">not checked yet</p></section>");
            return;
        }
        s.Append("<table id=\"health\"><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">State</th><th scope=\"col\">Finding</th><th scope=\"col\">What to do</th></tr></thead><tbody>");
        foreach (var f in health.Findings.OrderByDescending(f => f.Status.Severity()).ThenBy(f => f.Check, StringComparer.Ordinal))
            s.Append($"<tr data-check=\"{Html(f.Check)}\"><th scope=\"row\">{Html(f.Check)}</th><td>{State(f.Status)}</td><td>{Html(f.Summary)}</td><td>{Html(f.Advice)}</td></tr>");
        s.Append("</tbody></table></section>");
    }

    private static void Source(StringBuilder s, StatusReport report, SourceStatus source, TimeZoneInfo zone, bool standalone)
    {
        var group = source.Name;
        var id = "s-" + Slug(group);
        var history = source.History;
        s.Append($"<section class=\"source\" data-source=\"{Html(group)}\" aria-labelledby=\"{id}\"><h2 id=\"{id}\">Source {Html(group)}" +
                 (source.Configured ? "" : " <span class=\"muted\">(no longer configured)</span>") + "</h2>");
        LastBackup(s, source, zone);
        if (source.Pitr is { } pitr)
            s.Append($"<p>Point-in-time recovery: from {Time(pitr.Earliest, zone)} to {Time(pitr.Latest, zone)} " +
                     $"(<data class=\"pitr\" value=\"{Number((pitr.Latest - pitr.Earliest).TotalSeconds)}\">{Html(Duration(pitr.Latest - pitr.Earliest))}</data>)</p>");
        var from = report.Time.AddDays(-HistoryDays);
        Periods(s, report, history);
        s.Append("<div class=\"charts\">");
        var sizes = history.Select(h => new SvgChart.Point(h.Time, h.Size, $"{h.Time:yyyy-MM-dd HH:mm} {Bytes(h.Size)}")).ToList();
        Figure(s, $"Size over {HistoryDays} days", SvgChart.Render($"{id}-size", $"Backup size, {group}", $"Size of each of {history.Count} backups over {HistoryDays} days",
            SvgChart.Kind.Line, sizes, from, report.Time, v => Bytes((long)v)),
            Summary(sizes.Select(p => p.Value).ToList(), v => Bytes((long)v)));
        var durations = history.Select(h => new SvgChart.Point(h.Time, h.Duration.TotalSeconds, $"{h.Time:yyyy-MM-dd HH:mm} {Duration(h.Duration)}")).ToList();
        Figure(s, $"Duration over {HistoryDays} days", SvgChart.Render($"{id}-duration", $"Backup duration, {group}", $"Duration of each of {history.Count} backups over {HistoryDays} days",
            SvgChart.Kind.Line, durations, from, report.Time, v => Duration(TimeSpan.FromSeconds(v))),
            Summary(durations.Select(p => p.Value).ToList(), v => Duration(TimeSpan.FromSeconds(v))));
        var days = AddedPerDay(history, zone);
        Figure(s, "Bytes added per day", SvgChart.Render($"{id}-added", $"Bytes added per day, {group}", "New bytes stored each day after deduplication",
            SvgChart.Kind.Bars, days.Select(d => new SvgChart.Point(d.Day.AddHours(12), d.Bytes, $"{d.Day:yyyy-MM-dd} {Bytes(d.Bytes)}")).ToList(),
            from, report.Time, v => Bytes((long)v)),
            Summary(days.Select(d => (double)d.Bytes).ToList(), v => Bytes((long)v)) +
            $" · total <data class=\"added-total\" value=\"{days.Sum(d => d.Bytes)}\">{Bytes(days.Sum(d => d.Bytes))}</data>");
        var drills = source.Drills;
        var passed = drills.Count(d => d.Passed);
        Figure(s, "Restore drills: recovery time", SvgChart.Render($"{id}-drills", $"Restore drills, {group}", "Recovery time of each drill; a dot passed, a cross failed",
            SvgChart.Kind.Marks, drills.Select(d => new SvgChart.Point(d.Time, d.RestoreSeconds ?? 0,
                $"{d.Time:yyyy-MM-dd HH:mm} {(d.Passed ? "passed" : "FAILED")}" + (d.RestoreSeconds is { } r ? $" in {Duration(TimeSpan.FromSeconds(r))}" : ""), !d.Passed)).ToList(),
            from, report.Time, v => Duration(TimeSpan.FromSeconds(v))),
            $"<data class=\"drills-passed\" value=\"{passed}\">{passed} passed</data>, <data class=\"drills-failed\" value=\"{drills.Count - passed}\">{drills.Count - passed} failed</data>");
        s.Append("</div>");
        Tables(s, history, days, drills, zone, standalone);
        Retention(s, source, zone, standalone);
        s.Append("</section>");
    }

    private static void LastBackup(StringBuilder s, SourceStatus source, TimeZoneInfo zone)
    {
        if (source.LastBackup is not { } last || source.LastBackupAge is not { } age)
        {
            s.Append($"<p class=\"last-backup\">Last backup: none. {State(source.BackupAgeStatus)} {Html(source.BackupAgeSummary)}</p>");
            return;
        }
        s.Append($"<p class=\"last-backup\" data-snapshot=\"{last.Id}\">Last backup <code>{last.ShortId}</code> at {Time(last.Time, zone)}: " +
                 $"<data class=\"last-size\" value=\"{last.Size}\">{Bytes(last.Size)}</data> in " +
                 $"<data class=\"last-duration\" value=\"{Number(last.Duration.TotalSeconds)}\">{Duration(last.Duration)}</data>" +
                 (last.NewBytes is { } n ? $", <data class=\"last-new\" value=\"{n}\">{Bytes(n)}</data> new" : "") + ". ");
        s.Append($"Age <data class=\"last-age\" value=\"{Number(Math.Round(age.TotalSeconds))}\">{Duration(age)}</data>");
        if (source.BackupAgeWarning is { } warning)
            s.Append($" of {Duration(warning)} (warning)");
        if (source.BackupAgeCritical is { } critical)
            s.Append($" / {Duration(critical)} (critical)");
        s.Append(": ").Append(State(source.BackupAgeStatus)).Append("</p>");
        if (source.BackupAgeCritical is { } limit && limit > TimeSpan.Zero)
        {
            // The age against the critical threshold, with a tick at the warning one.
            var fill = Math.Clamp(age / limit, 0, 1) * 300;
            s.Append(Invariant($"<svg class=\"meter\" viewBox=\"0 0 300 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\"><rect class=\"track\" width=\"300\" height=\"10\"/><rect class=\"fill\" width=\"{fill:0.#}\" height=\"10\"/>"));
            if (source.BackupAgeWarning is { } w)
                s.Append(Invariant($"<line x1=\"{Math.Clamp(w / limit, 0, 1) * 300:0.#}\" x2=\"{Math.Clamp(w / limit, 0, 1) * 300:0.#}\" y1=\"0\" y2=\"10\"/>"));
            s.Append("</svg>");
        }
    }

    /// <summary>Counts, sizes and durations over the last 30 and 90 days, as text.</summary>
    private static void Periods(StringBuilder s, StatusReport report, IReadOnlyList<SnapshotSummary> history)
    {
        s.Append("<table class=\"periods\"><thead><tr><th scope=\"col\">Period</th><th scope=\"col\" class=\"num\">Backups</th><th scope=\"col\" class=\"num\">Size min</th><th scope=\"col\" class=\"num\">Size max</th><th scope=\"col\" class=\"num\">Duration median</th><th scope=\"col\" class=\"num\">Duration max</th><th scope=\"col\" class=\"num\">Added</th></tr></thead><tbody>");
        foreach (var days in new[] { 30, HistoryDays })
        {
            var span = history.Where(h => h.Time >= report.Time.AddDays(-days)).ToList();
            s.Append(CultureInfo.InvariantCulture, $"<tr data-days=\"{days}\"><th scope=\"row\">{days} days</th><td class=\"num\"><data class=\"count\" value=\"{span.Count}\">{span.Count}</data></td>");
            if (span.Count == 0)
            {
                s.Append("<td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td><td class=\"num\">–</td></tr>");
                continue;
            }
            var durations = span.Select(h => h.Duration.TotalSeconds).Order().ToList();
            var added = span.Sum(h => h.NewBytes ?? 0);
            s.Append($"<td class=\"num\">{Data(span.Min(h => h.Size), Bytes(span.Min(h => h.Size)))}</td><td class=\"num\">{Data(span.Max(h => h.Size), Bytes(span.Max(h => h.Size)))}</td>" +
                     $"<td class=\"num\">{Data(durations[durations.Count / 2], Duration(TimeSpan.FromSeconds(durations[durations.Count / 2])))}</td>" +
                     $"<td class=\"num\">{Data(durations[^1], Duration(TimeSpan.FromSeconds(durations[^1])))}</td><td class=\"num\">{Data(added, Bytes(added))}</td></tr>");
        }
        s.Append("</tbody></table>");
    }

    private static string Summary(IReadOnlyList<double> values, Func<double, string> format) =>
        values.Count == 0
            ? "no data"
            : $"last {Data(values[^1], format(values[^1]))} · min {Data(values.Min(), format(values.Min()))} · max {Data(values.Max(), format(values.Max()))} · {values.Count} points";

    private static void Figure(StringBuilder s, string title, string svg, string caption) =>
        s.Append("<figure><h3>").Append(Html(title)).Append("</h3>").Append(svg).Append("<figcaption>").Append(caption).Append("</figcaption></figure>");

    private readonly record struct DayBytes(DateTimeOffset Day, long Bytes);

    /// <summary>New bytes per calendar day of the schedule's time zone (deduplication at work).</summary>
    private static List<DayBytes> AddedPerDay(IEnumerable<SnapshotSummary> history, TimeZoneInfo zone) =>
        history.Where(h => h.NewBytes is not null)
            .GroupBy(h => TimeZoneInfo.ConvertTime(h.Time, zone).Date)
            .Select(g => new DayBytes(new DateTimeOffset(g.Key, zone.GetUtcOffset(g.Key)), g.Sum(h => h.NewBytes!.Value)))
            .OrderBy(d => d.Day).ToList();

    /// <summary>The newest numbers behind the charts, as tables (folded).</summary>
    private static void Tables(StringBuilder s, IReadOnlyList<SnapshotSummary> history, IReadOnlyList<DayBytes> days,
        IReadOnlyList<DrillStatus> drills, TimeZoneInfo zone, bool standalone)
    {
        s.Append($"<details><summary>Backups ({Shown(history.Count)})</summary><table class=\"backups\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Snapshot</th><th scope=\"col\" class=\"num\">Size</th><th scope=\"col\" class=\"num\">Duration</th><th scope=\"col\" class=\"num\">New</th></tr></thead><tbody>");
        foreach (var h in Newest(history))
            s.Append($"<tr data-snapshot=\"{h.Id}\"><td>{Time(h.Time, zone)}</td><td><code>{h.ShortId}</code></td><td class=\"num\">{Data(h.Size, Bytes(h.Size))}</td>" +
                     $"<td class=\"num\">{Data(h.Duration.TotalSeconds, Duration(h.Duration))}</td><td class=\"num\">{(h.NewBytes is { } n ? Data(n, Bytes(n)) : "–")}</td></tr>");
        s.Append("</tbody></table>").Append(Rest(history.Count - TableRows, standalone)).Append("</details>");
        s.Append($"<details><summary>Bytes added per day ({Shown(days.Count)})</summary><table class=\"added\"><thead><tr><th scope=\"col\">Day</th><th scope=\"col\" class=\"num\">Added</th></tr></thead><tbody>");
        foreach (var d in Newest(days))
            s.Append($"<tr><td>{d.Day:yyyy-MM-dd}</td><td class=\"num\">{Data(d.Bytes, Bytes(d.Bytes))}</td></tr>");
        s.Append("</tbody></table>").Append(Rest(days.Count - TableRows, standalone)).Append("</details>");
        s.Append($"<details{(drills.Any(d => !d.Passed) ? " open" : "")}><summary>Restore drills ({Shown(drills.Count)})</summary><table class=\"drills\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Snapshot</th><th scope=\"col\">Result</th><th scope=\"col\" class=\"num\">Recovery time</th><th scope=\"col\">Finding</th></tr></thead><tbody>");
        // The newest drills, and every failed one: a failure stays in sight.
        var shownDrills = drills.Where((d, i) => !d.Passed || i >= drills.Count - TableRows).Reverse().ToList();
        foreach (var d in shownDrills)
            s.Append($"<tr><td>{Time(d.Time, zone)}</td><td><code>{Html(d.Snapshot.Length > 8 ? d.Snapshot[..8] : d.Snapshot)}</code></td>" +
                     $"<td>{State(d.Passed ? HealthStatus.Ok : HealthStatus.Critical).Replace(">OK<", ">passed<", StringComparison.Ordinal).Replace(">CRITICAL<", ">FAILED<", StringComparison.Ordinal)}</td>" +
                     $"<td class=\"num\">{(d.RestoreSeconds is { } r ? Data(r, Duration(TimeSpan.FromSeconds(r))) : "–")}</td><td>{Html(d.Summary)}</td></tr>");
        s.Append("</tbody></table>").Append(Rest(drills.Count - shownDrills.Count, standalone)).Append("</details>");
    }

    /// <summary>The newest <see cref="TableRows"/> of a list in time order, newest first.</summary>
    private static IEnumerable<T> Newest<T>(IReadOnlyList<T> items) => items.Skip(Math.Max(0, items.Count - TableRows)).Reverse();

    private static string Shown(int count) =>
        count <= TableRows ? count.ToString(CultureInfo.InvariantCulture) : Invariant($"newest {TableRows} of {count}");

    /// <summary>Where the rows a table leaves out are: a link on the daemon's page, the command on a static one.</summary>
    private static string Rest(int hidden, bool standalone) =>
        hidden <= 0 ? ""
        : standalone ? Invariant($"<p class=\"muted rest\">The other {hidden} are listed by <code>bulwark status --json</code> on the backup host.</p>")
        : Invariant($"<p class=\"muted rest\">The other {hidden}: <a href=\"/status\">every row as data (JSON)</a>.</p>");

    private static void Retention(StringBuilder s, SourceStatus source, TimeZoneInfo zone, bool standalone)
    {
        if (source.Retention is not { } retention)
            return;
        var decisions = retention.Snapshots ?? [];
        var kept = decisions.Count(d => d.Keep);
        s.Append($"<h3>Retention</h3><p>Rule: <code class=\"policy\">{Html(retention.Policy)}</code> · " +
                 $"<data class=\"kept\" value=\"{kept}\">{kept} kept</data>, <data class=\"going\" value=\"{decisions.Count - kept}\">{decisions.Count - kept} going</data> at the next cleanup");
        if (retention.Error is { } error)
            s.Append($" · <span class=\"state state-warning\">! {Html(error)}</span>");
        s.Append("</p>");
        s.Append($"<details><summary>Each snapshot ({Shown(decisions.Count)})</summary><table class=\"retention\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Snapshot</th><th scope=\"col\">Decision</th><th scope=\"col\">Why</th></tr></thead><tbody>");
        foreach (var d in Newest(decisions))
            s.Append($"<tr class=\"{(d.Keep ? "kept" : "going")}\"><td>{Time(d.Time, zone)}</td><td><code>{d.Snapshot[..Math.Min(8, d.Snapshot.Length)]}</code></td>" +
                     $"<td class=\"decision\">{(d.Keep ? "kept" : "going")}</td><td>{Html(string.Join("; ", d.Reasons))}</td></tr>");
        s.Append("</tbody></table>").Append(Rest(decisions.Count - TableRows, standalone)).Append("</details>");
    }

    private static void Schedule(StringBuilder s, StatusReport report, TimeZoneInfo zone)
    {
        s.Append($"<section aria-labelledby=\"h-schedule\"><h2 id=\"h-schedule\">Next runs</h2><p class=\"muted\">Times in {Html(report.TimeZone)}.</p>");
        if (report.Jobs.Count == 0)
        {
            s.Append("<p>Every job is off.</p></section>");
            return;
        }
        s.Append("<table id=\"jobs\"><thead><tr><th scope=\"col\">Job</th><th scope=\"col\">Schedule</th><th scope=\"col\">Next run</th><th scope=\"col\">Last run</th></tr></thead><tbody>");
        foreach (var j in report.Jobs)
        {
            var next = j.Next is { } n ? $"{Time(n, zone)} (in {Duration(n - report.Time)})" : "never";
            var last = j.Last?.LastStart is { } start
                ? $"{Html(j.Last.LastOutcome ?? "running")} at {Time(start, zone)}" + (j.Last.LastOutcome == "failed" && j.Last.LastError is { } e ? $": {Html(e)}" : "")
                : "–";
            s.Append($"<tr data-job=\"{Html(j.Job)}\"><th scope=\"row\">{Html(j.Job)}</th><td><code>{Html(j.Expression)}</code></td><td>{next}</td><td>{last}</td></tr>");
        }
        s.Append("</tbody></table></section>");
    }

    private static void Rulesets(StringBuilder s, StatusReport report, TimeZoneInfo zone)
    {
        s.Append("<section aria-labelledby=\"h-rulesets\"><h2 id=\"h-rulesets\">Rulesets</h2>");
        if (report.Rulesets.Count == 0)
            s.Append("<p class=\"muted\">No ruleset version has been activated.</p>");
        foreach (var r in report.Rulesets)
        {
            s.Append($"<h3>{Html(r.Ruleset)}</h3><table class=\"environments\"><thead><tr><th scope=\"col\">Environment</th><th scope=\"col\">Active version</th><th scope=\"col\">Since</th></tr></thead><tbody>");
            foreach (var e in r.Environments)
                s.Append($"<tr><th scope=\"row\">{Html(e.Environment)}</th><td>{Html(e.Version)}</td><td>{Time(e.Since, zone)}</td></tr>");
            s.Append("</tbody></table><table class=\"activations\"><caption class=\"muted\">Recent activations</caption><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">Environment</th><th scope=\"col\">Action</th><th scope=\"col\">Version</th><th scope=\"col\">By</th></tr></thead><tbody>");
            foreach (var a in r.RecentActivations)
                s.Append($"<tr><td>{Time(a.Time, zone)}</td><td>{Html(a.Environment)}</td><td>{Html(a.Action)}</td><td>{Html(a.Previous is null ? a.Version : $"{a.Previous} → {a.Version}")}</td><td>{Html(a.Author)}</td></tr>");
            s.Append("</tbody></table>");
        }
        s.Append("</section>");
    }

    private static void Modules(StringBuilder s, StatusReport report)
    {
        s.Append("<section aria-labelledby=\"h-modules\"><h2 id=\"h-modules\">Module conflicts</h2>");
        if (report.ModuleConflicts.Count == 0)
        {
            s.Append("<p>None.</p></section>");
            return;
        }
        s.Append("<table id=\"modules\"><thead><tr><th scope=\"col\">Module</th><th scope=\"col\">Problem</th></tr></thead><tbody>");
        foreach (var m in report.ModuleConflicts)
            s.Append($"<tr><th scope=\"row\">{(m.Source is null ? "" : Html(m.Source) + ": ")}{Html(m.Path)}</th><td><span class=\"state state-warning\">! {Html(m.Kind)}</span> {Html(m.Description)}</td></tr>");
        s.Append("</tbody></table></section>");
    }

    private static string Slug(string text)
    {
        var s = new StringBuilder(text.Length);
        foreach (var c in text)
            s.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-');
        return s.ToString();
    }
}
