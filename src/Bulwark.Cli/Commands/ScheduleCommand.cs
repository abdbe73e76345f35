using System.CommandLine;
using System.Globalization;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Scheduling;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark schedule show|run|install|uninstall': the schedules of 'schedule:' in bulwark.yml.</summary>
public static class ScheduleCommand
{
    public static Command Create()
    {
        var command = new Command("schedule",
            "The job schedules of 'schedule:' in bulwark.yml: show the next runs, run a job as a schedule does, or install " +
            "them into your crontab or as systemd user timers (as the invoking user; never needs root). 'bulwark daemon' " +
            "runs the same schedules itself.");
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Run());
        command.Subcommands.Add(Install(remove: false));
        command.Subcommands.Add(Install(remove: true));
        return command;
    }

    private static Command Show()
    {
        var count = new Option<int>("--next", "-n") { Description = "How many next runs to show per job", DefaultValueFactory = _ => 1 };
        var command = new Command("show", "Print each job's schedule, its next runs (in the schedule's time zone) and its last run.") { count };
        command.SetHandler((run, _) =>
        {
            var context = run.Context;
            var schedule = JobSchedule.FromConfig(context.Settings, context.Time);
            var states = JobStateStore.For(context);
            var now = context.Time.GetUtcNow();
            var rows = schedule.Jobs.Select(job =>
            {
                var next = new List<DateTimeOffset>();
                var after = now;
                for (var i = 0; i < Math.Max(1, run.Get(count)); i++)
                {
                    if (schedule.NextAfter(job, after) is not { } n)
                        break;
                    next.Add(n);
                    after = n;
                }
                return (Job: job, Next: next, State: states.Read(job.Name));
            }).ToList();
            var disabled = JobNames.All.Where(j => schedule.Find(j) is null &&
                !schedule.Jobs.Any(x => JobNames.TrySplit(x.Name, out var perSource, out var sourceName) && perSource == j && sourceName.Length > 0)).ToList();
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.Schedule(schedule.TimeZone.Id, schedule.CatchUp,
                    rows.Select(r => new JsonOutputs.ScheduledJob(r.Job.Name, r.Job.Expression, r.Next, r.State?.LastStart,
                        r.State?.LastOutcome, r.State?.LastSummary)),
                    disabled));
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = run.Output.Table("Job", "Schedule", $"Next run ({schedule.TimeZone.Id})", "In", "Last run", "Outcome");
            foreach (var (job, next, state) in rows)
            {
                table.AddRow(job.Name, Markup.Escape(job.Expression),
                    next.Count == 0 ? "never" : string.Join("\n", next.Select(n => Local(n, schedule.TimeZone))),
                    next.Count == 0 ? "" : Until(next[0] - now),
                    state?.LastStart is { } start ? Local(start, schedule.TimeZone) : "-",
                    Markup.Escape(state?.LastOutcome is null ? "-" : $"{state.LastOutcome}{(state.LastSummary is null ? "" : ": " + state.LastSummary)}"));
            }
            run.Output.Write(table);
            if (disabled.Count > 0)
                run.Output.Line($"off: {string.Join(", ", disabled)}");
            return Task.FromResult(ExitCodes.Ok);
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage);
    }

    private static Command Run()
    {
        var job = new Argument<string>("job") { Description = $"The job: {string.Join(", ", JobNames.All)}; with 'sources:' also backup.NAME and drill.NAME (backup alone backs up every source)" };
        var scheduled = new Option<bool>("--scheduled") { Description = "Record the run as scheduled (what crontab entries and systemd units pass)" };
        var command = new Command("run",
            $"Run a job now the way a schedule does: not while another run of it is going on (exit {ExitCodes.Locked}), remembered in the " +
            "state folder, and with alerts for a failure and its recovery. Crontab entries and systemd units run this.")
        {
            job, scheduled,
        };
        command.SetHandler(async (run, ct) =>
        {
            var runner = new JobRunner(run.Context);
            runner.Warning += message => run.Output.Note(message);
            var result = await runner.RunAsync(run.Get(job), run.Get(scheduled) ? "schedule" : "manual", ct);
            if (run.Json)
                run.Output.WriteJson(new JsonOutputs.JobRun
                {
                    Job = result.Job,
                    Outcome = result.Outcome.ToString().ToLowerInvariant(),
                    Trigger = result.Trigger,
                    Start = result.Start,
                    End = result.End,
                    Summary = result.Summary,
                    Error = result.Error is null ? null : SecretRedactor.Redact(result.Error.Message),
                    Advice = result.Error?.Advice is { } advice ? SecretRedactor.Redact(advice) : null,
                    Health = result.Health?.Status.ToString().ToLowerInvariant(),
                });
            else if (result.Outcome != JobOutcome.Failed)
                run.Output.Line($"{result.Job}: {result.Outcome.ToString().ToLowerInvariant()}{(result.Summary is null ? "" : ": " + result.Summary)}");
            switch (result.Outcome)
            {
                case JobOutcome.Ok:
                    return ExitCodes.Ok;
                case JobOutcome.Skipped:
                    if (!run.Json)
                        run.Output.Fail(result.Summary!, "wait for it to finish; runs are never doubled");
                    return ExitCodes.Locked;
                case JobOutcome.Cancelled:
                    return ExitCodes.Cancelled;
                default:
                    run.Output.Fail($"{result.Job} failed: {result.Error!.Message}", result.Error.Advice);
                    return ExitCodes.For(result.Error.Kind);
            }
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.StorageUnavailable, ExitCodes.ToolMissing,
            ExitCodes.Refused, ExitCodes.Integrity, ExitCodes.Cancelled);
    }

    private static Command Install(bool remove)
    {
        var cron = new Option<bool>("--cron") { Description = "Your crontab (crontab -l / crontab -), inside a marked block" };
        var systemd = new Option<bool>("--systemd") { Description = "systemd user units: a service and a timer per job" };
        var print = new Option<bool>("--print") { Description = "Print what would be written; change nothing" };
        var crontabFile = new Option<string?>("--crontab-file")
        {
            Description = $"Edit this crontab file instead of your crontab (or {ScheduleInstaller.CrontabFileVariable})",
            HelpName = "FILE",
        };
        var unitDir = new Option<string?>("--unit-dir")
        {
            Description = $"Folder of the systemd units (default ~/.config/systemd/user, or {ScheduleInstaller.SystemdDirectoryVariable})",
            HelpName = "DIR",
        };
        var prefix = new Option<string>("--name")
        {
            Description = "Prefix of the unit names (NAME-backup.timer, …); one per configuration",
            DefaultValueFactory = _ => "bulwark",
            HelpName = "NAME",
        };
        var command = new Command(remove ? "uninstall" : "install",
            remove
                ? "Remove what 'schedule install' wrote: the crontab block of this configuration, or its systemd units."
                : "Write the schedules into your crontab (--cron) or as systemd user timers (--systemd). Installing again " +
                  "replaces what it wrote before and nothing else; jobs set to off are removed.")
        {
            cron, systemd, print, crontabFile, unitDir, prefix,
        };
        command.SetHandler(async (run, ct) =>
        {
            if (run.Get(cron) == run.Get(systemd))
                throw new BulwarkException(ErrorKind.Usage, "give either --cron or --systemd", $"e.g. 'bulwark schedule {command.Name} --cron'");
            var installer = new ScheduleInstaller(run.Context);
            var dryRun = run.Get(print);
            var result = run.Get(cron)
                ? await installer.InstallCronAsync(run.Get(crontabFile), remove, dryRun, ct)
                : installer.InstallSystemd(run.Get(unitDir), run.Get(prefix), remove, dryRun);
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.ScheduleInstall(result.Target, result.Changed, dryRun, result.Content, result.Written, result.Removed, result.Warnings, result.NextSteps));
                return ExitCodes.Ok;
            }
            foreach (var warning in result.Warnings)
                run.Output.Note("warning: " + warning);
            if (dryRun)
            {
                foreach (var (path, content) in result.Content)
                {
                    if (run.Get(systemd))
                        run.Output.Line($"# {path}");
                    Console.Out.Write(content);
                    if (run.Get(systemd))
                        run.Output.Line();
                }
                foreach (var path in result.Removed)
                    run.Output.Line($"# would remove {path}");
                return ExitCodes.Ok;
            }
            if (!result.Changed)
                run.Output.Line($"{result.Target} is already up to date");
            else if (run.Get(cron))
                run.Output.Line(remove ? $"removed the bulwark block from {result.Target}" : $"updated {result.Target}");
            foreach (var path in result.Written)
                run.Output.Line($"wrote {path}");
            foreach (var path in result.Removed.Where(p => p != result.Target))
                run.Output.Line($"removed {path}");
            if (result.NextSteps.Count > 0 && (result.Changed || run.Get(systemd)))
            {
                run.Output.Line(run.Get(systemd) ? "then run:" : "note:");
                foreach (var step in result.NextSteps)
                    run.Output.Line("  " + step);
            }
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.ToolMissing);
    }

    internal static string Local(DateTimeOffset time, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(time, zone).ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    internal static string Until(TimeSpan span) => span.TotalMinutes switch
    {
        < 1 => "now",
        < 60 => $"{(int)span.TotalMinutes} min",
        < 48 * 60 => $"{(int)span.TotalHours} h {span.Minutes} min",
        _ => $"{(int)span.TotalDays} d {span.Hours} h",
    };
}
