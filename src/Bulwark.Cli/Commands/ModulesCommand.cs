using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations;
using Bulwark.Operations.Modules;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

/// <summary>
/// 'bulwark modules' and 'bulwark modules check': module versions against the previous snapshot, per source: each
/// source's modules (its own 'modules:' or the top-level one) against its own snapshots.
/// </summary>
public static class ModulesCommand
{
    public static Command Create()
    {
        var snapshot = SnapshotOption();
        var source = SourceOption();
        var command = new Command("modules",
            "List the modules (from 'modules:') with their versions and the change since the previous snapshot: the files on disk " +
            "against the latest snapshot, or --snapshot S against the snapshot before it. With 'sources:', each source's modules " +
            "against that source's snapshots (--source NAME: one source).")
        {
            snapshot, source,
        };
        command.SetHandler(async (run, ct) =>
        {
            var reports = await CompareAsync(run, run.Get(source), run.Get(snapshot), ct);
            Render(run, reports);
            return ExitCodes.Ok;
        });

        var checkSnapshot = SnapshotOption();
        var checkSource = SourceOption();
        var check = new Command("check",
            "Fail when a module's content changed but its version did not (a version conflict), when a version went backwards, " +
            "or when a module declares no version. With 'sources:', every source's modules (--source NAME: one source).")
        {
            checkSnapshot, checkSource,
        };
        check.SetHandler(async (run, ct) =>
        {
            var reports = await CompareAsync(run, run.Get(checkSource), run.Get(checkSnapshot), ct);
            Render(run, reports);
            var problems = reports.SelectMany(r => r.Report.Problems.Select(p => (r.Source, Problem: p))).ToList();
            if (problems.Count == 0)
                return ExitCodes.Ok;
            run.Output.Fail($"{problems.Count} module problem{(problems.Count == 1 ? "" : "s")}: " +
                            string.Join("; ", problems.Take(5).Select(p => $"{(p.Source is null ? "" : p.Source + ": ")}{p.Problem.Path}: {p.Problem.Describe()}")),
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

    private static Option<string?> SourceOption() =>
        Infrastructure.SourceOption.Create("This source's modules against its own snapshots; without it, every source that has modules");

    /// <summary>
    /// The report of each source this run is about (source null: the single 'postgres:' form, or a snapshot named
    /// without --source, which is compared with the snapshots of its own source).
    /// </summary>
    private static async Task<List<(string? Source, ModulesReport Report)>> CompareAsync(Invocation run, string? source, string? snapshot,
        CancellationToken ct)
    {
        var whole = run.Context;
        if (!string.IsNullOrEmpty(source))
            return [(source, await new ModulesOperation(whole.ForSource(whole.SelectSources(source)[0])).CompareAsync(snapshot, ct))];
        if (whole.Settings.Sources.Count == 0 || snapshot is not null)
            return [(null, await new ModulesOperation(whole).CompareAsync(snapshot, ct))];
        var withModules = whole.Sources.Where(s => s.Settings.Modules.Paths.Count > 0).ToList();
        if (withModules.Count == 0)
            throw new BulwarkException(ErrorKind.Usage, "no modules are configured",
                "list them under 'modules: paths:' in bulwark.yml (or under a source's 'modules:'), or name a snapshot with --snapshot");
        var reports = new List<(string?, ModulesReport)>();
        foreach (var s in withModules)
            reports.Add((s.Name, await new ModulesOperation(whole.ForSource(s)).CompareAsync(null, ct)));
        return reports;
    }

    private static void Render(Invocation run, List<(string? Source, ModulesReport Report)> reports)
    {
        if (run.Json)
        {
            var documents = reports.Select(r => new JsonOutputs.ModuleCheck(r.Report.Ok, r.Report.Snapshot, r.Report.PreviousSnapshot,
                r.Report.Modules.Select(m => new JsonOutputs.Module(m.Path, m.Kind.ToString().ToLowerInvariant(), m.Version, m.PreviousVersion,
                    m.Sha256, m.PreviousSha256, m.IsProblem)), r.Source)).ToList();
            // One source: the document of the single form (with its source named); several: one per source.
            if (documents.Count == 1)
                run.Output.WriteJson(documents[0]);
            else
                run.Output.WriteJson(new JsonOutputs.ModuleChecks(documents.All(d => d.Ok), documents));
            return;
        }
        foreach (var (source, report) in reports)
        {
            if (source is not null && reports.Count > 1)
                run.Output.Line($"Source {source}");
            var table = run.Output.Table("Module", "Version", "SHA-256", "Since " + (report.PreviousSnapshot ?? "(no earlier snapshot)"));
            foreach (var m in report.Modules)
                table.AddRow(Markup.Escape(m.Path), Markup.Escape(m.Version ?? "-"), m.Sha256?[..12] ?? "-",
                    m.IsProblem ? $"[red]{Markup.Escape(m.Describe())}[/]" : Markup.Escape(m.Describe()));
            run.Output.Write(table);
        }
    }
}
