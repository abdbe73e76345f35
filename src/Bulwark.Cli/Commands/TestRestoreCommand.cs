using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Drills;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class TestRestoreCommand
{
    /// <summary>Differences listed on a terminal; --json lists them all.</summary>
    private const int ShownDifferences = 20;

    public static Command Create()
    {
        var snapshot = new Argument<string>("snapshot")
        {
            Description = "Snapshot id (a unique prefix is enough) or 'latest'",
            DefaultValueFactory = _ => "latest",
        };
        var scratch = new Option<string?>("--scratch")
        {
            Description = "Server to restore into (postgres:// URL or key=value; a new database is created there). Default: 'drill.scratch', else the source server",
            HelpName = "URL",
        };
        var keep = new Option<bool>("--keep") { Description = "Keep the scratch database afterwards, to inspect it" };
        var jobs = new Option<int?>("--jobs", "-j") { Description = "Parallel restore jobs (default: 'drill.jobs', 1)" };
        var noOwner = new Option<bool>("--no-owner") { Description = "Restore without owners (when the scratch server lacks the roles); owners are not compared" };
        var noAcl = new Option<bool>("--no-acl") { Description = "Restore without privileges; privileges are not compared" };
        var toTime = new Option<DateTimeOffset?>("--to-time")
        {
            Description = "For a base backup: recover to this time (ISO 8601, e.g. 2026-12-05T03:00:00Z) instead of the end of the archive",
            HelpName = "TIME",
        };
        var source = SourceOption.Create("With several sources: 'latest' is this source's newest snapshot");
        var command = new Command("test-restore",
            "Prove that a snapshot restores: restore it into a scratch database, read it back, and compare every table's rows,\n" +
            "every sequence and every schema object with the fingerprints taken at backup time. The result is recorded in the\n" +
            "repository ('bulwark list' shows the last drill of each snapshot); the scratch database is dropped unless --keep.\n" +
            "A base backup (backup --physical) is restored into a temporary folder and recovered on a temporary server (its own\n" +
            "port and socket folder, no archiving), to the end of the archive or --to-time; pg_amcheck --heapallindexed then\n" +
            "checks every database, and the server and folder are removed.")
        {
            snapshot, source, scratch, keep, jobs, noOwner, noAcl, toTime,
        };
        command.Aliases.Add("drill");
        command.SetHandler(async (run, ct) =>
        {
            var request = new DrillRequest
            {
                Snapshot = run.Get(snapshot),
                Scratch = run.Get(scratch),
                Keep = run.Get(keep),
                Jobs = run.Get(jobs),
                NoOwner = run.Get(noOwner),
                NoPrivileges = run.Get(noAcl),
                ToTime = run.Get(toTime),
            };
            var context = SourceOption.Context(run, source);
            try
            {
                var report = await run.Output.WithProgressAsync("restoring into a scratch database", null,
                    progress => new DrillOperation(context).RunAsync(request, progress, ct));
                Render(run, report);
                return ExitCodes.Ok;
            }
            catch (DrillFailedException e)
            {
                Render(run, e.Report);
                run.Output.Fail(e.Message, e.Advice);
                return ExitCodes.Integrity;
            }
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.StorageUnavailable, ExitCodes.ToolMissing,
            ExitCodes.Integrity, ExitCodes.Cancelled);
    }

    private static void Render(Invocation run, DrillReport report)
    {
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.TestRestore
            {
                Passed = report.Passed,
                Kind = report.Physical ? "physical" : "logical",
                Snapshot = report.SnapshotId,
                ShortId = report.Snapshot,
                SnapshotTime = report.SnapshotTime,
                Scratch = new(report.ScratchServer, report.ScratchDatabase, report.Kept),
                RestoreSeconds = report.RestoreDuration.TotalSeconds,
                AnalyzeSeconds = report.AnalyzeDuration?.TotalSeconds,
                RecoverySeconds = report.RecoveryDuration.TotalSeconds,
                CompareSeconds = report.CompareDuration.TotalSeconds,
                TotalSeconds = report.TotalDuration.TotalSeconds,
                DumpBytes = report.DumpBytes,
                DataBytes = report.DataBytes,
                Tables = report.Tables,
                Rows = report.Rows,
                Sequences = report.Sequences,
                Objects = report.Objects,
                LargeObjects = report.LargeObjects,
                Differences = report.Differences.Select(d => new JsonOutputs.Difference(d.Object, d.Problem)),
                Notes = report.Notes,
                ColumnOrderChanged = report.ColumnOrderChanged,
            });
            return;
        }
        run.Output.Line($"{(report.Passed ? "PASSED" : "FAILED")}: restore drill of snapshot {report.Snapshot} ({Format.Time(report.SnapshotTime)})");
        if (report.Physical)
        {
            run.Output.Line($"  recovery   {Format.Duration(report.RestoreDuration)} for {Format.Bytes(report.DumpBytes)} of base backup and its WAL (the recovery time to expect)");
            run.Output.Line($"  pg_amcheck {Format.Duration(report.CompareDuration)}");
        }
        else
        {
            run.Output.Line(report.AnalyzeDuration is { } analyzed
                ? $"  restore    {Format.Duration(report.RestoreDuration)} for {Format.Bytes(report.DumpBytes)} of dump, statistics {Format.Duration(analyzed)}: {Format.Duration(report.RecoveryDuration)} is the recovery time to expect"
                : $"  restore    {Format.Duration(report.RestoreDuration)} for {Format.Bytes(report.DumpBytes)} of dump (the recovery time to expect)");
            run.Output.Line($"  compare    {Format.Duration(report.CompareDuration)}: {report.Tables} tables, {report.Rows:N0} rows ({Format.Bytes(report.DataBytes)} of row data), " +
                            $"{report.Sequences} sequences, {report.Objects} schema objects" + (report.LargeObjects > 0 ? $", {report.LargeObjects:N0} large objects" : ""));
            run.Output.Line($"  scratch    {report.ScratchDatabase} on {report.ScratchServer} ({(report.Kept ? "kept" : "dropped")})");
        }
        foreach (var note in report.Notes)
            run.Output.Line($"  note       {note}");
        if (report.Differences.Count == 0)
            return;
        var table = run.Output.Table("Object", "Difference");
        foreach (var difference in report.Differences.Take(ShownDifferences))
            table.AddRow(Markup.Escape(difference.Object), Markup.Escape(difference.Problem));
        run.Output.Write(table);
        if (report.Differences.Count > ShownDifferences)
            run.Output.Line($"  … and {report.Differences.Count - ShownDifferences} more (--json lists them all)");
    }
}
