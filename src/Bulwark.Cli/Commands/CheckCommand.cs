using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Alerts;
using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

/// <summary>
/// 'bulwark check': the health check for people and monitoring systems. Unlike every other command it exits with
/// the monitoring-plugin convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); any error of its own is UNKNOWN.
/// </summary>
public static class CheckCommand
{
    public const string Name = "check";

    public static Command Create()
    {
        var subset = new Option<double?>("--read-data-subset")
        {
            Description = "Also read back PERCENT of the newest snapshot's chunks (a random part each run) and check them against their ids",
            HelpName = "PERCENT",
        };
        var nagios = new Option<bool>("--nagios")
        {
            Description = "Print one line for Nagios, Icinga or Zabbix: status, problems, and perfdata after '|'",
        };
        var alert = new Option<bool>("--alert")
        {
            Description = "Also send the alerts of 'alerts:' for what is not OK (each problem once, and its recovery)",
        };
        var source = SourceOption.Create("Check this source alone: its backup age, sizes and drills (the repository's checks as usual)");
        var command = new Command(Name,
            "Check the backups' health: age of the newest backup, integrity of the newest snapshot, size anomalies, free " +
            "disk space, failed operations, stale locks, ruleset drift, module version conflicts and restore drills. " +
            "Thresholds under 'check:' in bulwark.yml. Exit codes (monitoring-plugin convention): 0 OK, 1 WARNING, " +
            "2 CRITICAL, 3 UNKNOWN (the check itself could not run).")
        {
            subset, nagios, alert, source,
        };
        command.SetAction(async (parseResult, ct) =>
        {
            var run = new Invocation(parseResult);
            var percent = parseResult.GetValue(subset);
            var asNagios = parseResult.GetValue(nagios);
            if (percent is < 0 or > 100)
                return Unknown(run, asNagios, $"--read-data-subset {percent} is not between 0 and 100", "give a percentage, e.g. 5");
            HealthReport report;
            try
            {
                var context = SourceOption.Context(run, source);
                report = await new HealthCheckOperation(context).RunAsync(new HealthCheckRequest { ReadDataSubset = percent }, ct);
                if (parseResult.GetValue(alert))
                {
                    try
                    {
                        var delivery = await new AlertDispatcher(context).NotifyCheckAsync(report, ct);
                        foreach (var sent in delivery.Sent)
                            run.Output.Note(sent.Error is null ? $"alert sent to {sent.Channel}" : $"alert to {sent.Channel} not delivered: {sent.Error}");
                    }
                    catch (Exception e) when (e is BulwarkException or IOException or UnauthorizedAccessException)
                    {
                        // The health is known; alerts that could not go out are tried again at the next check.
                        run.Output.Note(SecretRedactor.Redact(e.Message));
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return Unknown(run, asNagios, "cancelled", null);
            }
            catch (BulwarkException e)
            {
                return Unknown(run, asNagios, e.Message, e.Advice);
            }
            catch (Exception e)
            {
                return Unknown(run, asNagios, $"unexpected {e.GetType().Name}: {e.Message}", "run again with --verbose, and report it if it persists");
            }
            Render(run, report, asNagios);
            return report.ExitCode;
        });
        return command;
    }

    /// <summary>Exit code of a command line that does not parse: 'check' keeps to its convention (UNKNOWN).</summary>
    public static int? UsageExitCode(ParseResult parseResult) =>
        parseResult.CommandResult.Command.Name == Name ? (int)HealthStatus.Unknown : null;

    private static int Unknown(Invocation run, bool nagios, string message, string? advice)
    {
        message = SecretRedactor.Redact(message);
        if (nagios)
            Console.Out.WriteLine($"BULWARK UNKNOWN - {message.Replace('|', '/')}");
        else if (run.Json)
            run.Output.WriteJson(new JsonOutputs.CheckUnknown("unknown", (int)HealthStatus.Unknown, message, advice));
        run.Output.Fail(message, advice);
        return (int)HealthStatus.Unknown;
    }

    private static void Render(Invocation run, HealthReport report, bool nagios)
    {
        if (nagios)
        {
            Console.Out.WriteLine(report.ToNagios());
            return;
        }
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.Check
            {
                Status = report.Status.ToString().ToLowerInvariant(),
                ExitCode = report.ExitCode,
                Time = report.Time,
                DurationMs = (long)report.Duration.TotalMilliseconds,
                Repository = report.Repository,
                Findings = report.Findings.Select(f => new JsonOutputs.CheckFinding(
                    f.Check, f.Status.ToString().ToLowerInvariant(), f.Summary, f.Advice, f.Metrics)),
            });
            return;
        }
        if (run.Output.Interactive)
        {
            var table = run.Output.Table("Check", "Status", "Details");
            foreach (var f in report.Findings)
                table.AddRow(f.Check, Colored(run, f.Status), Markup.Escape(f.Summary));
            run.Output.Write(table);
        }
        else
        {
            // Plain columns: monitoring and scripts read this, and it starts faster than a rendered table.
            var width = report.Findings.Max(f => f.Check.Length);
            Console.Out.WriteLine($"{"Check".PadRight(width)}  {"Status",-8}  Details");
            foreach (var f in report.Findings)
                Console.Out.WriteLine($"{f.Check.PadRight(width)}  {f.Status.Label(),-8}  {f.Summary}");
        }
        foreach (var f in report.Problems.Where(p => p.Advice is not null))
            run.Output.Line($"hint ({f.Check}): {f.Advice}");
        var problems = report.Problems.ToList();
        run.Output.Line(problems.Count == 0
            ? $"{report.Status.Label()}: {report.Findings.Count} checks passed in {Format.Duration(report.Duration)}"
            : $"{report.Status.Label()}: {problems.Count} of {report.Findings.Count} checks not OK");
    }

    private static string Colored(Invocation run, HealthStatus status)
    {
        if (!run.Output.Interactive)
            return status.Label();
        var color = status switch
        {
            HealthStatus.Ok => "green",
            HealthStatus.Warning => "yellow",
            HealthStatus.Critical => "red",
            _ => "magenta",
        };
        return $"[{color}]{status.Label()}[/]";
    }
}
