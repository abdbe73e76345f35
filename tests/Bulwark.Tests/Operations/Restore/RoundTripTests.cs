using Bulwark.Operations.Backup;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Repositories;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Sources.Postgres.Archive;

namespace Bulwark.Tests.Operations.Restore;

public sealed class RoundTripTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BackupAndRestore_OfManyObjectKindsAndAwkwardData_GivesAnIdenticalDatabase()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("awk");
        await pg.ExecuteAsync(source, AwkwardDatabase.Sql);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Globals = true }, null, Ct);
        Assert.Contains(backup.Snapshot.Manifest.Streams, s => s.Name == PostgresBackup.GlobalsStreamName);

        var target = pg.NewDatabaseName("awkr");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true }, null, Ct);

        var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(target), null, cancellationToken: Ct);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
        Assert.True(comparison.Lines > 5000);
        // The comparison is not vacuous: large objects, sequences and RLS came back.
        Assert.Equal(2L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_largeobject_metadata"));
        Assert.Equal(await pg.ScalarAsync<long>(source, "SELECT last_value FROM app.invoice_no"),
            await pg.ScalarAsync<long>(target, "SELECT last_value FROM app.invoice_no"));
        Assert.Equal(77L, await pg.ScalarAsync<long>(target, "SELECT last_value FROM app.never_called"));
        Assert.False(await pg.ScalarAsync<bool>(target, "SELECT is_called FROM app.never_called"));
        Assert.True(await pg.ScalarAsync<bool>(target, "SELECT relrowsecurity FROM pg_class WHERE oid = 'app.people'::regclass"));
        // Rows came back frozen (COPY … FREEZE), partitions included, and the planner has statistics for them.
        await FreezingArchiveStreamTests.AssertFrozenAsync(pg, target, FrozenTables);
        Assert.True(await pg.ScalarAsync<long>(target, "SELECT count(DISTINCT tablename) FROM pg_stats WHERE schemaname = 'app'") >= 3);
    }

    private static readonly string[] FrozenTables =
        ["app.people", "app.measurements_2025", "app.measurements_2026", "\"Weird Schema ü\".\"Mixed Case \"\"Quoted\"\" Table\""];

    [Fact]
    public async Task Restore_WithJobs_AndPartialRestores_Work()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("par");
        await pg.ExecuteAsync(source, AwkwardDatabase.Sql);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        var parallel = pg.NewDatabaseName("parj");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(parallel), Create = true, Jobs = 3, Analyze = false }, null, Ct);
        // Three rows: below autovacuum's threshold, so statistics there can only come from the restore's ANALYZE.
        Assert.Equal(0L, await pg.ScalarAsync<long>(parallel, "SELECT count(*) FROM pg_stats WHERE schemaname = 'Weird Schema ü'"));
        var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(parallel), null, cancellationToken: Ct);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
        await FreezingArchiveStreamTests.AssertFrozenAsync(pg, parallel, FrozenTables);

        var onlyTable = pg.NewDatabaseName("part");
        var partial = await new RestoreOperation(context).RunAsync(new RestoreRequest
        {
            Snapshot = "latest", Target = pg.Url(onlyTable), Create = true, Schemas = ["app"], Tables = ["measurements_2025"],
        }, null, Ct);
        Assert.Equal(1L, await pg.ScalarAsync<long>(onlyTable, "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'"));
        Assert.NotNull(partial.AnalyzeDuration);
        Assert.Null(partial.AnalyzeProblem);
        Assert.Equal(3L, await pg.ScalarAsync<long>(onlyTable, "SELECT count(*) FROM pg_stats WHERE tablename = 'measurements_2025'"));
        Assert.Equal(await pg.ScalarAsync<long>(source, "SELECT count(*) FROM app.measurements_2025"),
            await pg.ScalarAsync<long>(onlyTable, "SELECT count(*) FROM app.measurements_2025"));

        var onlySchema = pg.NewDatabaseName("pars");
        await new RestoreOperation(context).RunAsync(new RestoreRequest
        {
            Snapshot = "latest", Target = pg.Url(onlySchema), Create = true, Schemas = ["Weird Schema ü"],
        }, null, Ct);
        Assert.Equal(2L, await pg.ScalarAsync<long>(onlySchema, "SELECT count(*) FROM pg_stats WHERE schemaname = 'Weird Schema ü'"));
        Assert.Equal(3L, await pg.ScalarAsync<long>(onlySchema, "SELECT count(*) FROM \"Weird Schema ü\".\"Mixed Case \"\"Quoted\"\" Table\""));
        Assert.Equal(0L, await pg.ScalarAsync<long>(onlySchema, "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"));
    }

    [Fact]
    public async Task RestoreToFile_WritesTheOriginalDump_ThatPgRestoreReads()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("file");
        await pg.ExecuteAsync(source, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 1000);");
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        var path = dir.Combine("out.dump");
        var result = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = backup.Snapshot.ShortId, ToFile = path }, null, Ct);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        Assert.Equal(backup.Snapshot.Manifest.Streams[0].Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        Assert.Equal(result.Sha256, backup.Snapshot.Manifest.Streams[0].Sha256);
        Assert.Equal("PGDMP"u8.ToArray(), bytes[..5]);

        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, Ct);
        var listing = await Bulwark.Sources.Processes.ProcessRunner.RunAsync(pgRestore, ["--list", path], null, Ct);
        Assert.Contains("TABLE DATA public t", listing);

        var again = await Assert.ThrowsAsync<BulwarkException>(() =>
            new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = path }, null, Ct));
        Assert.Equal(ErrorKind.Refused, again.Kind);
    }

    [Fact]
    public async Task SecondBackup_ReusesUnchangedData()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("dedup");
        await pg.ExecuteAsync(source, "CREATE TABLE big (id int, payload text); INSERT INTO big SELECT g, md5(g::text) || repeat('z', 200) FROM generate_series(1, 60000) g;");
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var first = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        await pg.ExecuteAsync(source, "UPDATE big SET payload = 'changed' WHERE id = 59990;");
        var second = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var stats = second.Snapshot.Manifest.Statistics!;
        Assert.True(stats.ReusedBytes > stats.NewBytes * 3, $"new {stats.NewBytes}, reused {stats.ReusedBytes}");
        Assert.Equal(0, first.Snapshot.Manifest.Statistics!.ReusedBytes);
    }
}
