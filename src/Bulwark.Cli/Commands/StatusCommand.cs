using System.CommandLine;
using System.Globalization;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Health;
using Bulwark.Operations.Status;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark status': one screen for a person.</summary>
public static class StatusCommand
{
    public static Command Create()
    {
        var command = new Command("status",
            "One screen: the last backup (age, size, duration), the trend of the last 30 backups, the next scheduled runs, " +
            "what retention keeps, and health ('bulwark check' has the details); with several sources, a line per source. " +
            "--html FILE writes the dashboard as one self-contained page (charts of 90 days, drills, retention of each " +
            "snapshot, rulesets) to mail or publish.");
        var source = SourceOption.Create("Show this source alone");
        command.Options.Add(source);
        var html = new Option<string?>("--html")
        {
            Description = "Also write the dashboard to FILE: one HTML page, no script, nothing fetched from elsewhere",
            HelpName = "FILE",
        };
        command.Options.Add(html);
        command.SetHandler(async (run, ct) =>
        {
            var context = SourceOption.Context(run, source);
            var report = await new StatusOperation(context).RunAsync(null, ct);
            if (run.Get(html) is { } file)
                await WriteHtmlAsync(Path.GetFullPath(file), report, ct);
            if (run.Json)
            {
                run.Output.WriteJson(report);
                return ExitCodes.Ok;
            }
            Render(run, report);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage);
    }

    /// <summary>Writes the page under a temporary name and renames it: a reader never sees half a page.</summary>
    private static async Task WriteHtmlAsync(string path, StatusReport report, CancellationToken ct)
    {
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            await File.WriteAllTextAsync(temporary, Operations.Dashboard.DashboardPage.Render(report, standalone: true), ct);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new BulwarkException(ErrorKind.Usage, $"cannot write {path}: {e.Message}", "give --html a file in a folder you can write to");
        }
    }

    private static void Render(Invocation run, StatusReport report)
    {
        var o = run.Output;
        var grid = new Grid();
        grid.AddColumn(new GridColumn().NoWrap().PadRight(2));
        grid.AddColumn();
        void Row(string label, string value) => grid.AddRow(new Markup(Bold(run, label)), new Markup(value));

        var databases = string.Join(", ", report.Databases.Select(d => $"{d.Key} {d.Value}"));
        Row("Repository", Markup.Escape($"{report.Repository ?? "(none configured)"}") +
                          (report.Snapshots > 0 ? Markup.Escape($"  {report.Snapshots} snapshots ({databases})") : ""));
        if (report.LastBackup is { } last)
        {
            var age = report.Time - last.Time;
            Row("Last backup", Markup.Escape($"{last.ShortId}  {Format.Time(last.Time)} ({Format.Age(age)})  {Format.Bytes(last.Size)} in {Format.Duration(last.Duration)}" +
                                             (last.NewBytes is { } n ? $", {Format.Bytes(n)} new" : "")));
        }
        else
        {
            Row("Last backup", "none yet");
        }
        if (report.Recent.Count >= 2)
        {
            var sizes = report.Recent.Select(s => (double)s.Size).ToList();
            var durations = report.Recent.Select(s => s.Duration.TotalSeconds).ToList();
            var group = report.Recent[^1].Label;
            Row("Sizes", Markup.Escape($"{Sparkline.Render(sizes)}  {Format.Bytes((long)sizes.Min())} .. {Format.Bytes((long)sizes.Max())}  (last {report.Recent.Count} of {group})"));
            Row("Durations", Markup.Escape($"{Sparkline.Render(durations)}  {Format.Duration(TimeSpan.FromSeconds(durations.Min()))} .. {Format.Duration(TimeSpan.FromSeconds(durations.Max()))}"));
        }
        if (report.Sources.Count > 1 || report.Sources.Any(s => s.Name != Operations.Configuration.SourceNames.Default))
        {
            var lines = report.Sources.Select(s =>
                $"{s.Name,-12} {s.BackupAgeStatus.Label(),-8} " +
                (s.LastBackup is { } b ? $"last {b.ShortId} {Format.Age(report.Time - b.Time)}, {Format.Bytes(b.Size)}" : "no backup yet") +
                $"; {s.Snapshots} snapshot{(s.Snapshots == 1 ? "" : "s")}" +
                (s.Retention is { Error: null } r ? $"; retention keeps {r.Kept}, would remove {r.WouldRemove}" : "") +
                (s.Configured ? "" : " (not in the configuration)"));
            Row("Sources", Markup.Escape(string.Join("\n", lines)));
        }
        if (report.Jobs.Count == 0)
        {
            Row("Schedule", "every job is off");
        }
        else
        {
            var lines = report.Jobs.Select(j =>
            {
                var next = j.Next is { } n
                    ? $"next {ScheduleCommand.Local(n, TimeZoneInfo.FindSystemTimeZoneById(report.TimeZone))} (in {ScheduleCommand.Until(n - report.Time)})"
                    : "never";
                var lastRun = j.Last?.LastStart is { } start
                    ? $"; last {j.Last.LastOutcome ?? "running"} {Format.Age(report.Time - start)}"
                    : "";
                return Markup.Escape($"{j.Job,-8} {j.Expression,-12} {next}{lastRun}");
            });
            Row($"Schedule", Markup.Escape($"({report.TimeZone})") + "\n" + string.Join("\n", lines));
        }
        if (report.Retention is { } retention)
        {
            Row("Retention", Markup.Escape(retention.Error is not null && retention.Policy.Length == 0
                ? retention.Error
                : $"{retention.Policy}: keeps {retention.Kept}, cleanup would remove {retention.WouldRemove}" +
                  (retention.OldestKept is { } oldest ? $"; oldest kept {oldest.ToLocalTime().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}" : "") +
                  (retention.Error is null ? "" : $" ({retention.Error})")));
        }
        if (report.Pitr is { } pitr)
            Row("PITR", Markup.Escape($"{Format.Time(pitr.Earliest)} .. {Format.Time(pitr.Latest)} (base backup {pitr.BaseBackup} to {pitr.NewestSegment})"));
        if (report.Health is { } health)
        {
            var problems = health.Problems.ToList();
            var text = problems.Count == 0
                ? $"all {health.Findings.Count} checks OK"
                : string.Join("\n", problems.Select(p => $"{p.Status.Label()} {p.Check}: {p.Summary}"));
            Row("Health", Color(run, health.Status, health.Status.Label()) + (problems.Count == 0 ? Markup.Escape($"  {text}") : "\n" + Markup.Escape(text)));
        }
        foreach (var error in report.Errors)
            Row("Error", Markup.Escape(error));
        o.Out.Write(grid);
    }

    private static string Bold(Invocation run, string text) => run.Output.Interactive ? $"[bold]{Markup.Escape(text)}[/]" : Markup.Escape(text);

    private static string Color(Invocation run, HealthStatus status, string text)
    {
        if (!run.Output.Interactive)
            return Markup.Escape(text);
        var color = status switch { HealthStatus.Ok => "green", HealthStatus.Warning => "yellow", HealthStatus.Critical => "red", _ => "magenta" };
        return $"[{color}]{Markup.Escape(text)}[/]";
    }
}
