using Bulwark.Operations.Backup;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Verify;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Parallel;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Sources.Postgres.Fingerprints;
using Npgsql;

namespace Bulwark.Tests.Operations.Backup;

public sealed class ParallelBackupTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<IReadOnlyList<Bulwark.Repository.Snapshots.TableFingerprint>> TablesOfAsync(string database)
    {
        await using var connection = new NpgsqlConnection(pg.Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync(Ct);
        return await SqlFingerprinter.ComputeTablesAsync(connection, Ct);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    public async Task ParallelBackup_RestoresToAnIdenticalDatabase_WithJobs(int restoreJobs)
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pjob");
        await pg.ExecuteAsync(source, AwkwardDatabase.Sql);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        var manifest = backup.Snapshot.Manifest;
        Assert.Null(manifest.FindStream(PostgresBackup.DumpStreamName));
        Assert.NotNull(manifest.FindStream(ParallelSnapshot.SchemaStreamName));
        var tables = ParallelSnapshot.Tables(manifest);
        Assert.Contains(tables, t => t.Attributes![ParallelSnapshot.TableAttribute] == "people");
        Assert.Contains(tables, t => t.Attributes![ParallelSnapshot.SchemaAttribute] == "Weird Schema ü");
        // The fingerprints stored are those of the source's rows, table by table.
        Assert.Null(manifest.Fingerprints!.Error);
        Assert.Equal(await TablesOfAsync(source), manifest.Fingerprints.Tables);

        var target = pg.NewDatabaseName("pjobr");
        await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, Jobs = restoreJobs }, null, Ct);

        // pg_dump of both sides compares definitions, indexes, constraints, sequences, large objects and rows.
        var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(target), null, cancellationToken: Ct);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
        Assert.Equal(await TablesOfAsync(source), await TablesOfAsync(target));
        Assert.Equal(2L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_largeobject_metadata"));
        Assert.True(await pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'app'") > 0);
        Assert.Equal(await pg.ScalarAsync<long>(source, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"),
            await pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"));
        await Bulwark.Tests.Sources.Postgres.Archive.FreezingArchiveStreamTests.AssertFrozenAsync(pg, target, ["app.people"]);
    }

    [Fact]
    public async Task ParallelRestore_BuildingEachTablesIndexesOnceItsRowsAreIn_RestoresAnIdenticalDatabase()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pearly");
        await pg.ExecuteAsync(source, AwkwardDatabase.Sql);
        await pg.ExecuteAsync(source, Bulwark.Tests.Sources.Postgres.Parallel.PostDataPlanTests.Sql);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        // Every table counts as large, so each one's indexes, keys, triggers and policies are built as soon as its rows
        // are in, beside the loads of the others; foreign keys and partitioned parents' indexes wait for the end.
        var target = pg.NewDatabaseName("pearlyr");
        await using (var repository = await context.OpenRepositoryAsync(Ct))
        {
            await new PostgresRestore(new PostgresRestoreOptions { Create = true, Jobs = 2, EarlyBuildMinimumBytes = 0 })
                .RunAsync(repository, backup.Snapshot, pg.Server.Settings(target), null, Ct);
        }

        var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(target), null, cancellationToken: Ct);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
        Assert.Equal(await TablesOfAsync(source), await TablesOfAsync(target));
        Assert.True(await pg.ScalarAsync<bool>(target,
            "SELECT convalidated FROM pg_constraint WHERE conname = 'child_big_id_fkey'"));
        await Bulwark.Tests.Sources.Postgres.Archive.FreezingArchiveStreamTests.AssertFrozenAsync(pg, target, ["app.people", "public.big"]);
    }

    [Fact]
    public async Task ParallelBackup_ReadsEveryTableInOneSnapshot_SoATransferAcrossTablesIsAllOrNothing()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pcons");
        await pg.ExecuteAsync(source, """
            CREATE TABLE checking (id int PRIMARY KEY, balance bigint NOT NULL);
            CREATE TABLE savings (id int PRIMARY KEY, balance bigint NOT NULL);
            CREATE TABLE ledger (id serial PRIMARY KEY, note text);
            INSERT INTO checking SELECT g, 1000 FROM generate_series(1, 2000) g;
            INSERT INTO savings SELECT g, 1000 FROM generate_series(1, 2000) g;
            INSERT INTO ledger (note) SELECT 'opening ' || g FROM generate_series(1, 20000) g;
            """);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);

        // Transfers commit all through the backup: one right after the snapshot was exported (before any table is
        // read), and more while the tables are being read.
        using var stop = new CancellationTokenSource();
        async Task TransferAsync(NpgsqlConnection connection, int id)
        {
            await using var transfer = new NpgsqlCommand(
                $"BEGIN; UPDATE checking SET balance = balance - 7 WHERE id = {id}; UPDATE savings SET balance = balance + 7 WHERE id = {id}; INSERT INTO ledger (note) VALUES ('transfer {id}'); COMMIT;",
                connection);
            await transfer.ExecuteNonQueryAsync(CancellationToken.None);
        }
        var transfers = 0;
        Task? background = null;
        var operation = new BackupOperation(context)
        {
            InsideSnapshot = async (_, _) =>
            {
                var connection = new NpgsqlConnection(pg.Server.Settings(source).ToNpgsql().ConnectionString);
                await connection.OpenAsync(CancellationToken.None);
                await TransferAsync(connection, 1);
                transfers++;
                background = Task.Run(async () =>
                {
                    await using (connection)
                    {
                        for (var id = 2; !stop.IsCancellationRequested && id <= 2000; id++)
                        {
                            await TransferAsync(connection, id);
                            transfers++;
                        }
                    }
                });
            },
        };
        await operation.RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);
        await stop.CancelAsync();
        await background!;
        Assert.True(transfers > 1);

        var target = pg.NewDatabaseName("pconsr");
        await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, Jobs = 2 }, null, Ct);
        // The snapshot was taken before the first transfer: none of them is in it, in any of the three tables.
        Assert.Equal(2_000_000L, await pg.ScalarAsync<long>(target, "SELECT sum(balance)::bigint FROM checking"));
        Assert.Equal(2_000_000L, await pg.ScalarAsync<long>(target, "SELECT sum(balance)::bigint FROM savings"));
        Assert.Equal(20000L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM ledger"));
        // Sequences are not transactional: pg_dump reads their current value, as in a single-job backup.
        Assert.True(await pg.ScalarAsync<long>(target, "SELECT last_value FROM ledger_id_seq") >= 20000);
        Assert.True(await pg.ScalarAsync<long>(source, "SELECT count(*) FROM ledger") > 20000);
    }

    [Fact]
    public async Task ParallelSnapshot_RestoredToAFile_IsOneArchiveThatPgRestoreListsAndRestores()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pfile");
        await pg.ExecuteAsync(source, AwkwardDatabase.Sql);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        var path = dir.Combine("whole.dump");
        var result = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = path }, null, Ct);

        var bytes = await File.ReadAllBytesAsync(path, Ct);
        Assert.Equal(result.Sha256, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)));
        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, Ct);
        var listing = await Bulwark.Sources.Processes.ProcessRunner.RunAsync(pgRestore, ["--list", path], null, Ct);
        Assert.Contains("TABLE DATA app people", listing);
        var target = await pg.CreateDatabaseAsync("pfiler");
        await Bulwark.Sources.Processes.ProcessRunner.RunAsync(pgRestore,
            [$"--dbname={target}", "--single-transaction", "--exit-on-error", path], pg.Server.Settings(target).ToEnvironment(), Ct);
        var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(target), null, cancellationToken: Ct);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
    }

    [Fact]
    public async Task ParallelSnapshot_Verifies_AndPassesADrill()
    {
        using var dir = new TempDirectory();
        var source = await SampleDatabase.CreateAsync(pg, "pdrill");
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        var verify = await new VerifyOperation(context).RunAsync("latest", true, null, Ct);
        Assert.True(verify.Ok, string.Join("; ", verify.Problems.Select(p => p.Message)));
        var report = await new DrillOperation(context).RunAsync(new DrillRequest { Jobs = 2 }, null, Ct);
        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.Equal(301 + 2000 + 5 + 2, report.Rows);
        Assert.Equal(5, report.Tables);
    }

    [Fact]
    public async Task ParallelBackup_OnASecondDay_StoresOnlyTheChangedTable()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pdedup");
        await pg.ExecuteAsync(source, """
            CREATE TABLE big_a (id int, payload text); CREATE TABLE big_b (id int, payload text); CREATE TABLE small (id int);
            INSERT INTO big_a SELECT g, md5(g::text) || repeat('a', 200) FROM generate_series(1, 40000) g;
            INSERT INTO big_b SELECT g, md5(g::text) || repeat('b', 200) FROM generate_series(1, 40000) g;
            INSERT INTO small VALUES (1);
            """);
        var context = TestConfig.Context(dir, pg.Url(source));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var first = await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);
        await pg.ExecuteAsync(source, "INSERT INTO small VALUES (2);");

        var second = await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        var stats = second.Snapshot.Manifest.Statistics!;
        Assert.True(stats.NewBytes < 64 * 1024, $"new {stats.NewBytes}, reused {stats.ReusedBytes}");
        Assert.True(stats.ReusedBytes > 2 * 40000 * 200);
        foreach (var name in new[] { "table-data/public.big_a", "table-data/public.big_b" })
            Assert.Equal(first.Snapshot.Manifest.FindStream(name)!.Chunks, second.Snapshot.Manifest.FindStream(name)!.Chunks);
        Assert.NotEqual(first.Snapshot.Manifest.FindStream("table-data/public.small")!.Sha256,
            second.Snapshot.Manifest.FindStream("table-data/public.small")!.Sha256);
    }

    [Fact]
    public async Task ParallelBackup_LeavesExcludedTableData_AndSchemasOutside_AsPgDumpDoes()
    {
        using var dir = new TempDirectory();
        var source = await pg.CreateDatabaseAsync("pexcl");
        await pg.ExecuteAsync(source, """
            CREATE SCHEMA keep; CREATE SCHEMA skip;
            CREATE TABLE keep.audit_log (x int); CREATE TABLE keep.rows (x int); CREATE TABLE skip.other (x int);
            INSERT INTO keep.audit_log VALUES (1); INSERT INTO keep.rows VALUES (2); INSERT INTO skip.other VALUES (3);
            """);
        var context = TestConfig.Context(dir, pg.Url(source), configure: c =>
        {
            c.Postgres.ExcludeSchemas = ["skip"];
            c.Postgres.ExcludeTableData = ["keep.audit_*"];
        });
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Jobs = 2 }, null, Ct);

        Assert.Equal(["table-data/keep.rows"], ParallelSnapshot.Tables(backup.Snapshot.Manifest).Select(t => t.Name));
        var target = pg.NewDatabaseName("pexclr");
        await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, Jobs = 2 }, null, Ct);
        Assert.Equal(0L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM keep.audit_log"));
        Assert.Equal(1L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM keep.rows"));
        Assert.Equal(0L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_namespace WHERE nspname = 'skip'"));
    }
}
