using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class LogCommand
{
    public static Command Create()
    {
        var errors = new Option<bool>("--errors") { Description = "Only operations that failed" };
        var limit = new Option<int>("--limit", "-n") { Description = "Show the last N records", DefaultValueFactory = _ => 20 };
        var operation = new Option<string?>("--operation") { Description = "Only this operation (backup, restore, verify, ...)", HelpName = "NAME" };
        var command = new Command("log", "Show the operations log (one record per operation, newest last).")
        {
            errors, limit, operation,
        };
        command.SetHandler((run, _) =>
        {
            var records = run.Context.Log.Read()
                .Where(r => !run.Get(errors) || r.Outcome != Operations.Logging.OperationLog.Ok)
                .Where(r => run.Get(operation) is not { } op || r.Operation == op)
                .TakeLast(Math.Max(1, run.Get(limit)))
                .ToList();
            if (run.Json)
            {
                run.Output.WriteJson(records);
                return Task.FromResult(ExitCodes.Ok);
            }
            if (records.Count == 0)
            {
                run.Output.Line($"no records in {run.Context.Log.Path}");
                return Task.FromResult(ExitCodes.Ok);
            }
            var table = run.Output.Table("Start", "Operation", "Outcome", "Duration", "Bytes", "Snapshot", "Error");
            foreach (var r in records)
                table.AddRow(Format.Time(r.Start), r.Operation, r.Outcome, Format.Duration(TimeSpan.FromMilliseconds(r.DurationMs)),
                    r.Bytes > 0 ? Format.Bytes(r.Bytes) : "", r.Snapshot ?? "", Markup.Escape(r.Error ?? ""));
            run.Output.Write(table);
            return Task.FromResult(ExitCodes.Ok);
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage);
    }
}
