using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Modules;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark modules' and 'bulwark modules check': module versions against the previous snapshot.</summary>
public static class ModulesCommand
{
    public static Command Create()
    {
        var snapshot = SnapshotOption();
        var command = new Command("modules",
            "List the modules (from 'modules:') with their versions and the change since the previous snapshot: the files on disk " +
            "against the latest snapshot, or --snapshot S against the snapshot before it.")
        {
            snapshot,
        };
        command.SetHandler(async (run, ct) =>
        {
            var report = await new ModulesOperation(run.Context).CompareAsync(run.Get(snapshot), ct);
            Render(run, report);
            return ExitCodes.Ok;
        });

        var checkSnapshot = SnapshotOption();
        var check = new Command("check",
            "Fail when a module's content changed but its version did not (a version conflict), when a version went backwards, " +
            "or when a module declares no version.")
        {
            checkSnapshot,
        };
        check.SetHandler(async (run, ct) =>
        {
            var report = await new ModulesOperation(run.Context).CompareAsync(run.Get(checkSnapshot), ct);
            Render(run, report);
            if (report.Ok)
                return ExitCodes.Ok;
            var problems = report.Problems.ToList();
            run.Output.Fail($"{problems.Count} module problem{(problems.Count == 1 ? "" : "s")}: " +
                            string.Join("; ", problems.Take(5).Select(p => $"{p.Path}: {p.Describe()}")),
                "raise the version in the module's header whenever its content changes");
            return ExitCodes.Integrity;
        });
        command.Subcommands.Add(check.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.StorageUnavailable, ExitCodes.Integrity));
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }

    private static Option<string?> SnapshotOption() => new("--snapshot")
    {
        Description = "Compare this snapshot with the one before it instead of the files on disk with the latest snapshot",
        HelpName = "SNAPSHOT",
    };

    private static void Render(Invocation run, ModulesReport report)
    {
        if (run.Json)
        {
            run.Output.WriteJson(new JsonOutputs.ModuleCheck(report.Ok, report.Snapshot, report.PreviousSnapshot, report.Modules.Select(m => new JsonOutputs.Module(
                m.Path, m.Kind.ToString().ToLowerInvariant(), m.Version, m.PreviousVersion, m.Sha256, m.PreviousSha256, m.IsProblem))));
            return;
        }
        var table = run.Output.Table("Module", "Version", "SHA-256", "Since " + (report.PreviousSnapshot ?? "(no earlier snapshot)"));
        foreach (var m in report.Modules)
            table.AddRow(Markup.Escape(m.Path), Markup.Escape(m.Version ?? "-"), m.Sha256?[..12] ?? "-",
                m.IsProblem ? $"[red]{Markup.Escape(m.Describe())}[/]" : Markup.Escape(m.Describe()));
        run.Output.Write(table);
    }
}
