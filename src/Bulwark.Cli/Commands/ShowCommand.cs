using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class ShowCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("snapshot")
        {
            Description = "Snapshot id (a unique prefix is enough) or 'latest'",
            DefaultValueFactory = _ => "latest",
        };
        var command = new Command("show", "Show a snapshot: source, tools, streams, sizes and checksums.")
        {
            snapshot,
        };
        command.SetHandler(async (run, ct) =>
        {
            await using var repository = await run.Context.OpenRepositoryAsync(ct);
            var found = await repository.ResolveSnapshotAsync(run.Get(snapshot), ct);
            var m = found.Manifest;
            if (run.Json)
            {
                run.Output.WriteJson(new
                {
                    id = found.Id.ToString(),
                    m.Time,
                    m.EndTime,
                    durationSeconds = m.Duration.TotalSeconds,
                    m.Host,
                    m.User,
                    m.Tags,
                    m.Tools,
                    m.Source,
                    m.Statistics,
                    streams = m.Streams.Select(s => new { s.Name, s.Kind, s.Size, s.Sha256, chunks = s.Chunks.Count, s.Attributes }),
                });
                return ExitCodes.Ok;
            }
            run.Output.Line($"snapshot   {found.Id}");
            run.Output.Line($"time       {Format.Time(m.Time)} ({Format.Duration(m.Duration)})");
            run.Output.Line($"host       {m.Host}{(m.User is null ? "" : " (" + m.User + ")")}");
            run.Output.Line($"source     {m.Source.Kind} {m.Source.Database} on {m.Source.Server} (PostgreSQL {m.Source.ServerVersion}, database size {Format.Bytes(m.Source.DatabaseSize ?? 0)})");
            run.Output.Line($"tools      {string.Join(", ", m.Tools.Select(t => $"{t.Key} {t.Value}"))}");
            if (m.Tags.Count > 0)
                run.Output.Line($"tags       {string.Join(", ", m.Tags)}");
            if (m.Statistics is { } stats)
                run.Output.Line($"written    {Format.Bytes(stats.NewBytes)} new ({Format.Bytes(stats.StoredBytes)} stored), {Format.Bytes(stats.ReusedBytes)} reused");
            var table = run.Output.Table("Stream", "Kind", "Size", "Chunks", "SHA-256");
            foreach (var s in m.Streams)
                table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.Kind), Format.Bytes(s.Size), s.Chunks.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), s.Sha256);
            run.Output.Write(table);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(0, 2, 3, 6, 10);
    }
}
