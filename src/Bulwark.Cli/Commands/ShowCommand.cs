using System.CommandLine;
using System.Globalization;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Snapshots;
using Bulwark.Repository.Snapshots;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class ShowCommand
{
    /// <summary>Tables and sequences listed on a terminal; --json lists them all.</summary>
    private const int ShownRows = 50;

    public static Command Create()
    {
        var snapshot = new Argument<string>("snapshot")
        {
            Description = "Snapshot id (a unique prefix is enough) or 'latest'",
            DefaultValueFactory = _ => "latest",
        };
        var source = SourceOption.Create("With several sources: 'latest' is this source's newest snapshot");
        var command = new Command("show", "Show a snapshot: source, tools, streams, sizes and checksums, fingerprints, last drill.")
        {
            snapshot, source,
        };
        command.SetHandler(async (run, ct) =>
        {
            var (found, drill) = await new SnapshotOperations(SourceOption.Context(run, source)).ShowAsync(run.Get(snapshot), ct);
            var m = found.Manifest;
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.Show
                {
                    Id = found.Id.ToString(),
                    Kind = m.Kind,
                    Time = m.Time,
                    EndTime = m.EndTime,
                    DurationSeconds = m.Duration.TotalSeconds,
                    Host = m.Host,
                    User = m.User,
                    Tags = m.Tags,
                    Tools = m.Tools,
                    Source = m.Source,
                    Statistics = m.Statistics,
                    Modules = m.Modules,
                    Rulesets = m.Rulesets,
                    Streams = m.Streams.Select(s => new JsonOutputs.ShownStream(s.Name, s.Kind, s.Size, s.Sha256, s.Chunks.Count, s.Attributes)),
                    Fingerprints = m.Fingerprints,
                    Physical = m.Physical is { } p
                        ? new JsonOutputs.ShownPhysical(p.StartLsn, p.StopLsn, p.Timeline, p.StartWalFile, p.StopWalFile, p.SystemIdentifier,
                            p.ServerVersionNumber, p.StartTime, p.StopTime, p.WalSegmentSize, p.BackupLabel, p.WalIncluded, p.Files.Count)
                        : null,
                    LastDrill = drill,
                });
                return ExitCodes.Ok;
            }
            run.Output.Line($"snapshot   {found.Id}");
            run.Output.Line($"kind       {m.Kind}");
            run.Output.Line($"time       {Format.Time(m.Time)} ({Format.Duration(m.Duration)})");
            run.Output.Line($"host       {m.Host}{(m.User is null ? "" : " (" + m.User + ")")}");
            if (m.Source.Name is { } sourceName)
                run.Output.Line($"source of  {sourceName}");
            run.Output.Line(m.Physical is not null
                ? $"source     {m.Source.Kind} cluster on {m.Source.Server} (PostgreSQL {m.Source.ServerVersion})"
                : m.Source.Database is null
                ? $"source     {m.Source.Kind}"
                : $"source     {m.Source.Kind} {m.Source.Database} on {m.Source.Server} (PostgreSQL {m.Source.ServerVersion}, database size {Format.Bytes(m.Source.DatabaseSize ?? 0)}{(m.Source.Profile is { } profile ? ", profile " + profile : "")})");
            run.Output.Line($"tools      {string.Join(", ", m.Tools.Select(t => $"{t.Key} {t.Value}"))}");
            if (m.Tags.Count > 0)
                run.Output.Line($"tags       {string.Join(", ", m.Tags)}");
            if (m.Statistics is { } stats)
                run.Output.Line($"written    {Format.Bytes(stats.NewBytes)} new ({Format.Bytes(stats.StoredBytes)} stored), {Format.Bytes(stats.ReusedBytes)} reused");
            if (m.Physical is { } physical)
            {
                run.Output.Line($"wal        {physical.StartLsn} .. {physical.StopLsn} on timeline {physical.Timeline} ({physical.StartWalFile}), " +
                                (physical.WalIncluded == "none" ? "WAL in the archive only" : "WAL included"));
                run.Output.Line($"server     system {physical.SystemIdentifier}, backup {Format.Time(physical.StartTime)} .. {Format.Time(physical.StopTime)}");
                run.Output.Line($"files      {m.Streams.Count} files, {physical.Files.Count(f => f.Type == PhysicalFileEntry.DirectoryType)} folders ({Format.Bytes(m.TotalSize)})");
            }
            var table = run.Output.Table("Stream", "Kind", "Size", "Chunks", "SHA-256");
            // A base backup has a stream per file of the data folder: the largest say the most.
            foreach (var s in m.Physical is null ? m.Streams : m.Streams.OrderByDescending(s => s.Size).Take(ShownRows))
                table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Kind), Format.Bytes(s.Size), s.Chunks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Sha256);
            run.Output.Write(table);
            foreach (var module in m.Modules ?? [])
                run.Output.Line($"module     {module.Path} {module.Version ?? "(no version)"} sha256 {module.Sha256}");
            foreach (var ruleset in m.Rulesets ?? [])
                run.Output.Line($"ruleset    {ruleset.Name}: latest {ruleset.Latest}, {string.Join(", ", ruleset.Active.Select(a => $"{a.Key} {a.Value}"))}");
            if (Bulwark.Sources.Postgres.Parallel.ParallelSnapshot.DatabaseStream(m) is not null)
                RenderFingerprints(run, m.Fingerprints);
            if (drill is not null)
                run.Output.Line($"last drill {(drill.Passed ? "passed" : "FAILED")} {Format.Time(drill.Time)}: {drill.Summary}");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable,
            ExitCodes.Integrity);
    }

    private static void RenderFingerprints(Invocation run, DatabaseFingerprints? fingerprints)
    {
        if (fingerprints is null)
        {
            run.Output.Line("fingerprints none (taken without them; this snapshot cannot be drilled)");
            return;
        }
        if (fingerprints.Error is not null)
        {
            run.Output.Line($"fingerprints none: {fingerprints.Error}");
            return;
        }
        run.Output.Line($"fingerprints {fingerprints.Tables.Count} tables, {fingerprints.Rows:N0} rows, {fingerprints.Sequences.Count} sequences" +
                        (fingerprints.LargeObjects is { } lo ? $", {lo.Count:N0} large objects" : "") +
                        $" ({fingerprints.Algorithm}, archive {fingerprints.ArchiveVersion})");
        if (fingerprints.Schema is { } shape)
            run.Output.Line($"schema     {shape.Tables} tables, {shape.Indexes} indexes, {shape.Constraints} constraints, {shape.Functions} functions, " +
                            $"{shape.Triggers} triggers, {shape.Views} views, {shape.Sequences} sequences, {shape.Schemas} schemas, {shape.Extensions} extensions");
        if (fingerprints.Tables.Count > 0)
        {
            var tables = run.Output.Table("Table", "Rows", "Row data", "Hash");
            foreach (var t in fingerprints.Tables.Take(ShownRows))
                tables.AddRow(Markup.Escape(t.QualifiedName), t.Rows.ToString("N0", CultureInfo.InvariantCulture), Format.Bytes(t.Bytes), t.Hash);
            run.Output.Write(tables);
            if (fingerprints.Tables.Count > ShownRows)
                run.Output.Line($"  … and {fingerprints.Tables.Count - ShownRows} more tables (--json lists them all)");
        }
        if (fingerprints.Sequences.Count > 0)
        {
            var sequences = run.Output.Table("Sequence", "Value", "Called");
            foreach (var q in fingerprints.Sequences.Take(ShownRows))
                sequences.AddRow(Markup.Escape(q.QualifiedName), q.Value.ToString(CultureInfo.InvariantCulture), q.IsCalled ? "yes" : "no");
            run.Output.Write(sequences);
            if (fingerprints.Sequences.Count > ShownRows)
                run.Output.Line($"  … and {fingerprints.Sequences.Count - ShownRows} more sequences (--json lists them all)");
        }
    }
}
