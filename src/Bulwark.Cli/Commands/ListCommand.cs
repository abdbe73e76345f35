using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Snapshots;
using Bulwark.Repository.Snapshots;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list",
            "List the snapshots, oldest first. A snapshot whose manifest cannot be read is named on standard error " +
            "(with --json: under \"unreadable\") and the others are listed.");
        command.Aliases.Add("snapshots");
        command.SetHandler(async (run, ct) =>
        {
            var listing = await new SnapshotOperations(run.Context).ListAsync(ct);
            var snapshots = listing.Snapshots;
            var drills = listing.LatestDrills;
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.List(
                    snapshots.Select(s => new JsonOutputs.ListedSnapshot
                    {
                        Id = s.Id.ToString(),
                        ShortId = s.ShortId,
                        Time = s.Manifest.Time,
                        Host = s.Manifest.Host,
                        Database = s.Manifest.Source.Database,
                        Profile = s.Manifest.Source.Profile,
                        Size = s.Manifest.TotalSize,
                        NewBytes = s.Manifest.Statistics?.NewBytes,
                        StoredBytes = s.Manifest.Statistics?.StoredBytes,
                        DurationSeconds = s.Manifest.Duration.TotalSeconds,
                        Tags = s.Manifest.Tags,
                        LastDrill = drills.GetValueOrDefault(s.Id.ToString()) is { } d
                            ? new JsonOutputs.Drill(d.Time, d.Passed, d.Summary)
                            : null,
                    }),
                    listing.Unreadable.Select(u => new JsonOutputs.Unreadable(u.Id.ToString(), u.ShortId, u.Object, u.Error))));
                return ExitCodes.Ok;
            }
            if (snapshots.Count == 0 && listing.Unreadable.Count == 0)
            {
                run.Output.Line($"no snapshots in {run.Context.RepositoryDisplay}");
                return ExitCodes.Ok;
            }
            var now = run.Context.Time.GetUtcNow();
            var table = run.Output.Table("ID", "Time", "Host", "Database", "Size", "New", "Duration", "Tags", "Last drill");
            foreach (var s in snapshots)
            {
                var m = s.Manifest;
                table.AddRow(s.ShortId, Format.Time(m.Time), Markup.Escape(m.Host), Markup.Escape(m.Source.Database ?? "-"),
                    Format.Bytes(m.TotalSize), m.Statistics is null ? "-" : Format.Bytes(m.Statistics.NewBytes),
                    Format.Duration(m.Duration), Markup.Escape(string.Join(",", m.Tags)),
                    Markup.Escape(Drill(drills.GetValueOrDefault(s.Id.ToString()), now)));
            }
            run.Output.Write(table);
            run.Output.Line($"{snapshots.Count} snapshot{(snapshots.Count == 1 ? "" : "s")} in {run.Context.RepositoryDisplay}" +
                            (listing.Unreadable.Count == 0 ? "" : $", and {listing.Unreadable.Count} whose manifest cannot be read: " +
                                string.Join(", ", listing.Unreadable.Select(u => u.ShortId))));
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }

    /// <summary>"passed 2 h ago", "FAILED 3 days ago", or "-" for a snapshot never drilled.</summary>
    private static string Drill(ProofRecord? drill, DateTimeOffset now) =>
        drill is null ? "-" : $"{(drill.Passed ? "passed" : "FAILED")} {Format.Age(now - drill.Time)}";
}
