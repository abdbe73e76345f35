using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Repositories;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Tests.Infrastructure;
using Npgsql;

namespace Bulwark.Tests.Operations.Drills;

public sealed class DrillOperationTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _dir = new();

    public DrillOperationTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    public void Dispose() => _dir.Dispose();

    private async Task<BulwarkContext> BackedUpAsync(string database, Action<Bulwark.Operations.Configuration.BulwarkConfig>? configure = null)
    {
        var context = TestConfig.Context(_dir, _pg.Url(database), configure: configure);
        await new InitOperation(context).RunAsync(null, _dir.Path, CancellationToken.None);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);
        return context;
    }

    /// <summary>A drill that runs <paramref name="sql"/> in the scratch database after the restore, before comparing.</summary>
    private static DrillOperation DamagingDrill(BulwarkContext context, string sql) => new(context)
    {
        AfterRestore = async (scratch, ct) =>
        {
            await using var connection = new NpgsqlConnection(scratch.ToNpgsql().ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        },
    };

    /// <summary>The one proof record a drill left in the repository.</summary>
    private static async Task<ProofRecord> SingleProofAsync(BulwarkContext context)
    {
        await using var repository = await context.OpenRepositoryAsync(CancellationToken.None);
        return Assert.Single(await repository.ReadEventsAsync<ProofRecord>(RepositoryLayout.ProofEvents, CancellationToken.None));
    }

    private async Task<bool> DatabaseExistsAsync(string name) =>
        await _pg.ScalarAsync<int?>("postgres", $"SELECT 1 FROM pg_database WHERE datname = '{name}'") == 1;

    [Fact]
    public async Task Drill_Passes_ForAFaithfulRestore_DropsTheScratchDatabase_AndRecordsTheProof()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database);

        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, CancellationToken.None);

        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.Empty(report.Differences);
        Assert.Equal(5, report.Tables);
        Assert.Equal(301 + 2000 + 5 + 2, report.Rows);
        Assert.Equal(2, report.Sequences);
        Assert.True(report.Objects > 10);
        Assert.True(report.RestoreDuration > TimeSpan.Zero);
        // Statistics were gathered, as a real restore does, and count towards the recovery time.
        Assert.True(report.AnalyzeDuration > TimeSpan.Zero);
        Assert.Equal(report.RestoreDuration + report.AnalyzeDuration!.Value, report.RecoveryDuration);
        Assert.False(await DatabaseExistsAsync(report.ScratchDatabase));
        var proof = await SingleProofAsync(context);
        Assert.Equal((ProofRecord.Drill, true, report.SnapshotId), (proof.Kind, proof.Passed, proof.Snapshot));
    }

    [Theory]
    [InlineData("changed row", "UPDATE shop.orders SET total = total + 1 WHERE id = 5", "table shop.orders", "same count")]
    [InlineData("missing row", "DELETE FROM shop.customers WHERE id = 301", "table shop.customers", "1 missing")]
    [InlineData("extra row", "INSERT INTO public.dups VALUES ('same')", "table public.dups", "1 extra")]
    [InlineData("missing table", "DROP TABLE public.empty_table", "table public.empty_table", "missing")]
    [InlineData("missing index", "DROP INDEX shop.orders_customer_idx", "index shop.orders_customer_idx", "missing")]
    [InlineData("missing constraint", "ALTER TABLE shop.customers DROP CONSTRAINT customers_email_key", "constraint shop.customers customers_email_key", "missing")]
    [InlineData("missing foreign key", "ALTER TABLE shop.orders DROP CONSTRAINT orders_customer_id_fkey", "fk constraint shop.orders orders_customer_id_fkey", "missing")]
    [InlineData("wrong sequence value", "SELECT setval('shop.customers_id_seq', 5000)", "sequence shop.customers_id_seq", "value 5000")]
    [InlineData("changed check", "ALTER TABLE shop.customers DROP CONSTRAINT customers_balance_check", "table shop.customers", "definition differs")]
    public async Task Drill_Fails_NamingTheObject_WhenTheRestoredDatabaseDiffers(string damage, string sql, string expectedObject, string expectedProblem)
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database);
        var drill = DamagingDrill(context, sql);

        var error = await Assert.ThrowsAsync<DrillFailedException>(() => drill.RunAsync(new DrillRequest(), null, CancellationToken.None));

        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.False(error.Report.Passed);
        Assert.Contains(error.Report.Differences, d => d.Object == expectedObject && d.Problem.Contains(expectedProblem, StringComparison.Ordinal));
        Assert.Contains(expectedObject, error.Message);
        Assert.False(await DatabaseExistsAsync(error.Report.ScratchDatabase), damage);
        var proof = await SingleProofAsync(context);
        Assert.False(proof.Passed);
        Assert.Contains(expectedObject, proof.Summary);
    }

    [Fact]
    public async Task Drill_Passes_WithANoteNamingTheTables_WhenTheRestoreOnlyChangesTheirColumnOrder()
    {
        // Inheritance children, a typed table's child and generated columns with inheritance come back from any dump
        // and restore with their columns in another order; the drill compares them by column name.
        var database = await ColumnOrderDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database);

        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, CancellationToken.None);

        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.Empty(report.Differences);
        Assert.Equal(ColumnOrderDatabase.Reordered, report.ColumnOrderChanged);
        var note = Assert.Single(report.Notes, n => n.StartsWith("column order differs", StringComparison.Ordinal));
        Assert.Contains($"in 5 tables ({string.Join(", ", ColumnOrderDatabase.Reordered)})", note);
        Assert.Contains("inherited columns", note);
        Assert.Equal(1 + 49 + 2 + 1 + 2 + 1 + 40 + 2, report.Rows);
        await using var repository = await context.OpenRepositoryAsync(CancellationToken.None);
        var proof = Assert.Single(await repository.ReadEventsAsync<ProofRecord>(RepositoryLayout.ProofEvents, CancellationToken.None));
        Assert.True(proof.Passed);
        Assert.Equal(string.Join(", ", ColumnOrderDatabase.Reordered), proof.Details!["columnOrderChanged"]);
        Assert.EndsWith("identical (column order differs in 5 tables, compared by name)", proof.Summary);
        // What the manifest stores is unchanged (rows hashed in the dump's column order), so snapshots taken before
        // drills compared by column name compare the same way.
        var snapshot = await repository.ResolveSnapshotAsync("latest", CancellationToken.None);
        await using var connection = new NpgsqlConnection(_pg.Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        Assert.Equal(await SqlFingerprinter.ComputeTablesAsync(connection, CancellationToken.None), snapshot.Manifest.Fingerprints!.Tables);
    }

    [Theory]
    [InlineData("changed row", "UPDATE public.staff SET badge = 'forged' WHERE id = 7", "table public.staff", "same count")]
    [InlineData("changed row of a generated-column child", "UPDATE public.late_readings SET raw = 8 WHERE id = 1000", "table public.late_readings", "same count")]
    [InlineData("changed row of a typed table's child", "UPDATE public.shipping_addresses SET zip = '00000' WHERE street = '2 Side St'", "table public.shipping_addresses", "same count")]
    [InlineData("dropped column", "ALTER TABLE public.contractors DROP COLUMN company", "table public.contractors", "definition differs|rows differ")]
    [InlineData("changed column type", "ALTER TABLE public.contractors ALTER COLUMN company TYPE varchar(100)", "table public.contractors", "definition differs")]
    [InlineData("changed default", "ALTER TABLE public.contractors ALTER COLUMN company SET DEFAULT 'acme'", "table public.contractors", "definition differs")]
    [InlineData("added column", "ALTER TABLE public.staff ADD COLUMN extra int", "table public.staff", "definition differs|rows differ")]
    public async Task Drill_StillFails_OnARealDifference_InATableWhoseColumnOrderChanged(string damage, string sql, string expectedObject, string expectedProblems)
    {
        var database = await ColumnOrderDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database);
        var drill = DamagingDrill(context, sql);

        var error = await Assert.ThrowsAsync<DrillFailedException>(() => drill.RunAsync(new DrillRequest(), null, CancellationToken.None));

        Assert.False(error.Report.Passed, damage);
        foreach (var problem in expectedProblems.Split('|'))
            Assert.Contains(error.Report.Differences, d => d.Object == expectedObject && d.Problem.Contains(problem, StringComparison.Ordinal));
        // Only the damaged table differs; the other reordered tables are still only a note.
        Assert.All(error.Report.Differences, d => Assert.Equal(expectedObject, d.Object));
        Assert.Equal(ColumnOrderDatabase.Reordered.Where(t => $"table {t}" != expectedObject), error.Report.ColumnOrderChanged);
    }

    [Fact]
    public async Task Drill_KeepsTheScratchDatabase_WhenAsked()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database);
        var report = await new DrillOperation(context).RunAsync(new DrillRequest { Keep = true, Jobs = 2 }, null, CancellationToken.None);
        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.True(report.Kept);
        Assert.True(await DatabaseExistsAsync(report.ScratchDatabase));
        Assert.Equal(2000L, await _pg.ScalarAsync<long>(report.ScratchDatabase, "SELECT count(*) FROM shop.orders"));
        await _pg.ExecuteAsync("postgres", $"DROP DATABASE \"{report.ScratchDatabase}\"");
    }

    [Fact]
    public async Task Drill_Refuses_ASnapshotWithoutFingerprints()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = await BackedUpAsync(database, c => c.Backup.Fingerprints = false);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => new DrillOperation(context).RunAsync(new DrillRequest(), null, CancellationToken.None));
        Assert.Equal(ErrorKind.Usage, error.Kind);
        Assert.Contains("no fingerprints", error.Message);
    }

    [Fact]
    public async Task Drill_ComparesTextThatDependsOnSettings_WhenTheScratchSessionDefaultsDiffer()
    {
        // The source database prints bytea as escapes (and would print timestamptz in another zone, but backups pin
        // UTC); the scratch database, created by the drill, has the server's defaults. The drill pins the backup's
        // settings when it reads back.
        var database = await SampleDatabase.CreateAsync(_pg);
        await _pg.ExecuteAsync("postgres", $"ALTER DATABASE \"{database}\" SET TimeZone = 'Asia/Kolkata'");
        await _pg.ExecuteAsync("postgres", $"ALTER DATABASE \"{database}\" SET bytea_output = 'escape'");
        var context = await BackedUpAsync(database);
        await using (var repository = await context.OpenRepositoryAsync(CancellationToken.None))
        {
            var snapshot = await repository.ResolveSnapshotAsync("latest", CancellationToken.None);
            Assert.Equal("UTC", snapshot.Manifest.Fingerprints!.TextSettings!["TimeZone"]);
            Assert.Equal("escape", snapshot.Manifest.Fingerprints!.TextSettings!["bytea_output"]);
        }
        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, CancellationToken.None);
        Assert.True(report.Passed, string.Join("; ", report.Differences));
    }

    [Fact]
    public async Task BackupUnderLoad_PassesItsDrill_AndItsFingerprintsEqualSqlInsideTheSameSnapshot()
    {
        var database = await _pg.CreateDatabaseAsync("load");
        await _pg.ExecuteAsync(database, """
            CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, filler text);
            INSERT INTO accounts SELECT g, 0, repeat('x', 80) FROM generate_series(1, 20000) g;
            CREATE TABLE events (id bigserial PRIMARY KEY, account int NOT NULL, amount int NOT NULL, at timestamptz DEFAULT now());
            INSERT INTO events (account, amount) SELECT g % 20000 + 1, g FROM generate_series(1, 20000) g;
            """);
        var context = TestConfig.Context(_dir, _pg.Url(database));
        await new InitOperation(context).RunAsync(null, _dir.Path, CancellationToken.None);

        using var stop = new CancellationTokenSource();
        long writes = 0;
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            await using var connection = new NpgsqlConnection(_pg.Server.Settings(database).ToNpgsql().ConnectionString);
            await connection.OpenAsync();
            var random = new Random(w);
            while (!stop.IsCancellationRequested)
            {
                var account = random.Next(1, 20001);
                var amount = random.Next(1, 1000);
                try
                {
                    await using var transaction = await connection.BeginTransactionAsync();
                    foreach (var sql in new[]
                             {
                                 "UPDATE accounts SET balance = balance + $2 WHERE id = $1",
                                 "INSERT INTO events (account, amount) VALUES ($1, $2)",
                                 "DELETE FROM events WHERE id = (SELECT min(id) FROM events WHERE account = $1 AND amount % 7 = $2 % 7)",
                             })
                    {
                        await using var command = new NpgsqlCommand(sql, connection, transaction);
                        command.Parameters.Add(new NpgsqlParameter { Value = account });
                        command.Parameters.Add(new NpgsqlParameter { Value = amount });
                        await command.ExecuteNonQueryAsync();
                    }
                    await transaction.CommitAsync();
                    Interlocked.Increment(ref writes);
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected)
                {
                    // Writers touch the same rows in any order; a deadlock victim just goes on.
                }
            }
        })).ToList();
        for (var i = 0; i < 3000 && Interlocked.Read(ref writes) < 200; i++)
            await Task.Delay(10);

        IReadOnlyList<TableFingerprint>? inSnapshot = null;
        long writesAtSnapshot = 0;
        var backup = new BackupOperation(context)
        {
            InsideSnapshot = async (connection, ct) =>
            {
                writesAtSnapshot = Interlocked.Read(ref writes);
                inSnapshot = await SqlFingerprinter.ComputeTablesAsync(connection, ct);
                // Let the writers run on while pg_dump starts: it must still see the exported snapshot only.
                var target = Interlocked.Read(ref writes) + 100;
                for (var i = 0; i < 1000 && Interlocked.Read(ref writes) < target; i++)
                    await Task.Delay(10, ct);
            },
        };
        var result = await backup.RunAsync(new BackupRequest(), null, CancellationToken.None);
        var writesAfterBackup = Interlocked.Read(ref writes);
        await stop.CancelAsync();
        await Task.WhenAll(writers);

        Assert.True(writesAfterBackup > writesAtSnapshot + 100, "the writers kept writing during the backup");
        var fingerprints = result.Snapshot.Manifest.Fingerprints!;
        Assert.Null(fingerprints.Error);
        Assert.NotNull(inSnapshot);
        Assert.Equal(inSnapshot, fingerprints.Tables);
        // And the source has moved on since: the fingerprints are of the snapshot, not of "now".
        await using (var connection = new NpgsqlConnection(_pg.Server.Settings(database).ToNpgsql().ConnectionString))
        {
            await connection.OpenAsync();
            var now = await SqlFingerprinter.ComputeTablesAsync(connection, CancellationToken.None);
            Assert.NotEqual(now, fingerprints.Tables);
        }

        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, CancellationToken.None);
        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.Equal(fingerprints.Rows, report.Rows);
    }
}
