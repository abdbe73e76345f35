using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Verify;
using Bulwark.Sources.Postgres;
using Npgsql;

namespace Bulwark.Operations.Demo;

/// <summary>
/// The main job end to end on an embedded default: a throwaway PostgreSQL server with sample data, a local
/// repository, two backups (the second deduplicated against the first), a full verification, a restore into a new
/// database and a comparison of both databases. The server is removed at the end; the repository is kept.
/// </summary>
public sealed class DemoRunner
{
    private readonly Action<string> _say;

    public DemoRunner(Action<string> say)
    {
        _say = say;
    }

    public async Task<DemoReport> RunAsync(string? workDirectory, CancellationToken cancellationToken)
    {
        var work = workDirectory ?? Path.Combine(Path.GetTempPath(), $"bulwark-demo-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        Directory.CreateDirectory(work);
        _say($"Starting a throwaway PostgreSQL server in {work} ...");
        await using var server = await LocalPostgresServer.StartAsync(work, cancellationToken: cancellationToken).ConfigureAwait(false);
        _say($"  PostgreSQL {server.Version} is listening on {server.Host}:{server.Port}.");

        _say("Loading sample data into database \"shop\" (customers, products, orders) ...");
        await ExecuteAsync(server.Settings("postgres"), "CREATE DATABASE shop", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(server.Settings("shop"), DemoData.Schema + DemoData.Rows, cancellationToken).ConfigureAwait(false);

        var repository = Path.Combine(work, "repository");
        var config = LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = Path.Combine(work, "state"),
            Postgres = new PostgresConfig { Url = server.Url("shop", withPassword: true) },
        }, work);
        var context = new BulwarkContext(config);

        var (location, _, _) = await new InitOperation(context).RunAsync(repository, work, cancellationToken).ConfigureAwait(false);
        _say($"Created a repository at {location}.");

        var first = await new BackupOperation(context).RunAsync(new BackupRequest { Tags = ["demo"] }, null, cancellationToken).ConfigureAwait(false);
        var firstStats = first.Snapshot.Manifest.Statistics!;
        _say($"Backup 1: snapshot {first.Snapshot.ShortId}, dump of {Bytes(first.Snapshot.Manifest.TotalSize)} stored as {Bytes(firstStats.StoredBytes)} " +
             $"in {first.Snapshot.Manifest.Duration.TotalSeconds:0.0} s.");

        _say("Changing a few rows (200 new orders, 20 new prices), then backing up again ...");
        await ExecuteAsync(server.Settings("shop"), DemoData.DayOfChanges, cancellationToken).ConfigureAwait(false);
        var second = await new BackupOperation(context).RunAsync(new BackupRequest { Tags = ["demo"] }, null, cancellationToken).ConfigureAwait(false);
        var secondStats = second.Snapshot.Manifest.Statistics!;
        _say($"Backup 2: snapshot {second.Snapshot.ShortId}, {Bytes(secondStats.NewBytes)} new, {Bytes(secondStats.ReusedBytes)} reused from backup 1.");

        var report = await new VerifyOperation(context).RunAsync(null, readData: true, null, cancellationToken).ConfigureAwait(false);
        _say($"Verified both snapshots: {report.ChunksChecked} chunks and {report.StreamsChecked} streams read back ({Bytes(report.BytesRead)}), every checksum matches.");

        var target = server.Url("shop_restored", withPassword: true);
        var restore = await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = target, Create = true }, null, cancellationToken).ConfigureAwait(false);
        _say($"Restored snapshot {restore.Snapshot} into a new database \"shop_restored\" in {restore.Duration.TotalSeconds:0.0} s.");

        var comparison = await PgDumpComparer.CompareAsync(server.Settings("shop"), server.Settings("shop_restored"),
            null, cancellationToken: cancellationToken).ConfigureAwait(false);
        _say(comparison.Equal
            ? $"Compared pg_dump of \"shop\" and \"shop_restored\": identical ({comparison.Lines:N0} lines of schema and data)."
            : $"Compared pg_dump of \"shop\" and \"shop_restored\": DIFFERENT: {string.Join("; ", comparison.Differences)}");

        _say("Stopping and removing the throwaway server ...");
        return new DemoReport(work, location, first.Snapshot.ShortId, second.Snapshot.ShortId,
            second.Snapshot.Manifest.TotalSize, firstStats.StoredBytes, secondStats.NewBytes, secondStats.ReusedBytes,
            report.BytesRead, "shop_restored", comparison.Lines, comparison.Equal, comparison.Differences);
    }

    private static async Task ExecuteAsync(PgConnectionSettings settings, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await PgErrors.OpenAsync(settings, "connecting to", cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => $"{bytes} B",
        < 1024 * 1024 => $"{bytes / 1024.0:0.0} KiB",
        < 1024L * 1024 * 1024 => $"{bytes / (1024.0 * 1024):0.0} MiB",
        _ => $"{bytes / (1024.0 * 1024 * 1024):0.00} GiB",
    };
}
