using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Verify;
using Bulwark.Repository.Verification;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class VerifyCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string?>("snapshot")
        {
            Description = "Snapshot id or 'latest' (default: every snapshot)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var readData = new Option<bool>("--read-data")
        {
            Description = "Also read every chunk back, check it against its id, and recompute every stream's SHA-256",
        };
        var source = SourceOption.Create("Verify this source's snapshots only; with a snapshot, 'latest' is this source's newest");
        var command = new Command("verify",
            "Check that snapshots are complete (every chunk they reference exists) and, with --read-data, intact; without a snapshot named, also that the WAL archive has no gap from each base backup (or its oldest segment) to its newest segment.")
        {
            snapshot, readData, source,
        };
        command.SetHandler(async (run, ct) =>
        {
            var context = SourceOption.Context(run, source);
            VerifyReport report;
            try
            {
                report = await run.Output.WithProgressAsync("verifying", null,
                    progress => new VerifyOperation(context).RunAsync(run.Get(snapshot), run.Get(readData), progress, ct));
            }
            catch (VerificationFailedException e)
            {
                Render(run, e.Report);
                run.Output.Fail($"verification failed: {e.Report.Problems.Count} problem(s)", e.Advice);
                return ExitCodes.Integrity;
            }
            Render(run, report);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.Locked,
            ExitCodes.StorageUnavailable, ExitCodes.Integrity);
    }

    private static void Render(Invocation run, VerifyReport report)
    {
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.Verify(report.Ok, report.SnapshotsChecked, report.ChunksChecked, report.StreamsChecked, report.BytesRead, report.ReadData, report.Problems));
            return;
        }
        if (report.Problems.Count > 0)
        {
            var table = run.Output.Table("Object", "Problem", "Breaks snapshots");
            foreach (var p in report.Problems)
                table.AddRow(Markup.Escape(p.Object), Markup.Escape(p.Message), string.Join(", ", p.Snapshots));
            run.Output.Write(table);
        }
        run.Output.Line($"{(report.Ok ? "ok" : "FAILED")}: {report.SnapshotsChecked} snapshot(s), {report.ChunksChecked} chunk(s)" +
                        (report.ReadData ? $", {report.StreamsChecked} stream(s), {Format.Bytes(report.BytesRead)} read and checked" : " present (structure only; --read-data reads them)"));
    }
}
