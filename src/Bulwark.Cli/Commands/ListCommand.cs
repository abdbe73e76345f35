using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Snapshots;
using Bulwark.Repository.Snapshots;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class ListCommand
{
    public static Command Create()
    {
        var command = new Command("list",
            "List the snapshots, oldest first, from the snapshot summaries cached in the state folder (a manifest is " +
            "read when it is new). A snapshot whose manifest cannot be read is named on standard error (with --json: " +
            "under \"unreadable\") and the others are listed. A cached manifest is read again when the storage lists " +
            "its object with another size or write time (truncated, overwritten), so that damage shows here; damage " +
            "that changes neither (bits rotting in place) is found by 'bulwark verify'.");
        command.Aliases.Add("snapshots");
        var source = SourceOption.Create("List this source's snapshots only");
        command.Options.Add(source);
        command.SetHandler(async (run, ct) =>
        {
            var listing = await new SnapshotOperations(SourceOption.Context(run, source)).ListAsync(ct);
            // With several sources, grouped by source (in the configuration's order), each oldest first.
            var order = run.Context.Sources.Select((s, i) => (s.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            var bySource = run.Context.Settings.Sources.Count > 0 || listing.Snapshots.Any(s => s.Source is not null);
            var snapshots = bySource
                ? listing.Snapshots.OrderBy(s => order.GetValueOrDefault(s.SourceName, int.MaxValue))
                    .ThenBy(s => s.SourceName, StringComparer.Ordinal).ToList()
                : listing.Snapshots;
            var drills = listing.LatestDrills;
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.List(
                    snapshots.Select(s => new JsonOutputs.ListedSnapshot
                    {
                        Id = s.Id,
                        ShortId = s.ShortId,
                        Time = s.Time,
                        Kind = s.IsPhysical ? SnapshotManifest.PhysicalKind : SnapshotManifest.LogicalKind,
                        Host = s.Host,
                        Source = s.SourceName,
                        Database = s.Database,
                        Profile = s.Profile,
                        Size = s.Size,
                        NewBytes = s.NewBytes,
                        StoredBytes = s.StoredBytes,
                        DurationSeconds = s.Duration.TotalSeconds,
                        Tags = s.Tags,
                        LastDrill = drills.GetValueOrDefault(s.Id) is { } d
                            ? new JsonOutputs.Drill(d.Time, d.Passed, d.Summary)
                            : null,
                    }),
                    listing.Unreadable.Select(u => new JsonOutputs.Unreadable(u.Id.ToString(), u.ShortId, u.Object, u.Error)), listing.Pitr));
                return ExitCodes.Ok;
            }
            if (snapshots.Count == 0 && listing.Unreadable.Count == 0)
            {
                run.Output.Line($"no snapshots in {run.Context.RepositoryDisplay}");
                return ExitCodes.Ok;
            }
            var now = run.Context.Time.GetUtcNow();
            var table = bySource
                ? run.Output.Table("Source", "ID", "Time", "Kind", "Host", "Database", "Size", "New", "Duration", "Tags", "Last drill")
                : run.Output.Table("ID", "Time", "Kind", "Host", "Database", "Size", "New", "Duration", "Tags", "Last drill");
            foreach (var s in snapshots)
            {
                string[] first = bySource ? [Markup.Escape(s.SourceName), s.ShortId] : [s.ShortId];
                table.AddRow([.. first, Format.Time(s.Time), s.IsPhysical ? SnapshotManifest.PhysicalKind : SnapshotManifest.LogicalKind,
                    Markup.Escape(s.Host), Markup.Escape(s.Database ?? (s.IsPhysical ? "(cluster)" : "-")),
                    Format.Bytes(s.Size), s.NewBytes is { } added ? Format.Bytes(added) : "-",
                    Format.Duration(s.Duration), Markup.Escape(string.Join(",", s.Tags)),
                    Markup.Escape(Drill(drills.GetValueOrDefault(s.Id), now))]);
            }
            run.Output.Write(table);
            run.Output.Line($"{snapshots.Count} snapshot{(snapshots.Count == 1 ? "" : "s")} in {run.Context.RepositoryDisplay}" +
                            (listing.Unreadable.Count == 0 ? "" : $", and {listing.Unreadable.Count} whose manifest cannot be read: " +
                                string.Join(", ", listing.Unreadable.Select(u => u.ShortId))));
            if (listing.Pitr is { } pitr)
                run.Output.Line($"point-in-time recovery: {Format.Time(pitr.Earliest)} .. {Format.Time(pitr.Latest)} (from base backup {pitr.BaseBackup} to {pitr.NewestSegment})");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }

    /// <summary>"passed 2 h ago", "FAILED 3 days ago", or "-" for a snapshot never drilled.</summary>
    private static string Drill(ProofRecord? drill, DateTimeOffset now) =>
        drill is null ? "-" : $"{(drill.Passed ? "passed" : "FAILED")} {Format.Age(now - drill.Time)}";
}
