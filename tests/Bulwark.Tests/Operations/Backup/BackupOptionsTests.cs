using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Backup;

public sealed class BackupOptionsTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Globals_AsANonSuperuser_OmitRolePasswords_AndRestoreRoles()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("glob");
        var role = $"owner_{Guid.NewGuid():N}"[..20];
        await pg.ExecuteAsync("postgres", $"CREATE ROLE {role} LOGIN PASSWORD 'rolepw-123'; GRANT ALL ON DATABASE {database} TO {role};");
        await pg.ExecuteAsync(database, $"GRANT ALL ON SCHEMA public TO {role}; SET ROLE {role}; CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
        var url = $"postgres://{role}:rolepw-123@{pg.Server.Host}:{pg.Server.Port}/{database}";
        var context = TestConfig.Context(dir, url);
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Globals = true }, null, Ct);
        var globals = backup.Snapshot.Manifest.FindStream(PostgresBackup.GlobalsStreamName)!;
        Assert.Equal("omitted", globals.Attributes!["role-passwords"]);

        var file = dir.Combine("globals.sql");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = file, Stream = PostgresBackup.GlobalsStreamName }, null, Ct);
        var sql = await File.ReadAllTextAsync(file, Ct);
        Assert.Contains($"CREATE ROLE {role}", sql);
        Assert.DoesNotContain("SCRAM-SHA-256$", sql);

        // As superuser the passwords are kept.
        var superContext = TestConfig.Context(dir, pg.Url(database));
        var superBackup = await new BackupOperation(superContext).RunAsync(new BackupRequest { Globals = true }, null, Ct);
        Assert.Equal("included", superBackup.Snapshot.Manifest.FindStream(PostgresBackup.GlobalsStreamName)!.Attributes!["role-passwords"]);
    }

    [Fact]
    public async Task Clean_ReplacesTheContentsOfANonEmptyDatabase()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("clean");
        await pg.ExecuteAsync(database, "CREATE TABLE t (x int); INSERT INTO t SELECT generate_series(1, 100);");
        var context = TestConfig.Context(dir, pg.Url(database));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        await pg.ExecuteAsync(database, "DELETE FROM t WHERE x > 10; CREATE TABLE extra (y int);");
        var refused = await Assert.ThrowsAsync<BulwarkException>(() =>
            new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(database) }, null, Ct));
        Assert.Equal(ErrorKind.Refused, refused.Kind);
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(database), Clean = true }, null, Ct);
        Assert.Equal(100L, await pg.ScalarAsync<long>(database, "SELECT count(*) FROM t"));
    }

    [Fact]
    public async Task ExcludeTableData_KeepsTheTableButNotItsRows()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("excl");
        await pg.ExecuteAsync(database, "CREATE TABLE keep (x int); CREATE TABLE noisy (y int); INSERT INTO keep VALUES (1); INSERT INTO noisy SELECT generate_series(1, 1000);");
        var context = TestConfig.Context(dir, pg.Url(database), configure: c => c.Postgres.ExcludeTableData = ["noisy"]);
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var target = pg.NewDatabaseName("exclr");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true }, null, Ct);
        Assert.Equal(1L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM keep"));
        Assert.Equal(0L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM noisy"));
    }

    [Fact]
    public async Task FailedRestoreWithCreate_DropsTheDatabaseItCreated()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("fail");
        var role = $"gone_{Guid.NewGuid():N}"[..16];
        await pg.ExecuteAsync("postgres", $"CREATE ROLE {role}");
        await pg.ExecuteAsync(database, $"CREATE TABLE t (x int); ALTER TABLE t OWNER TO {role};");
        var context = TestConfig.Context(dir, pg.Url(database));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        await pg.ExecuteAsync(database, $"DROP TABLE t");
        await pg.ExecuteAsync("postgres", $"DROP ROLE {role}");

        var target = pg.NewDatabaseName("failr");
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true }, null, Ct));
        Assert.Equal(ErrorKind.Failed, error.Kind);
        Assert.Contains("does not exist", error.Message);
        Assert.Contains("--no-owner", error.Advice);
        Assert.Equal(0L, await pg.ScalarAsync<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, NoOwner = true }, null, Ct);
        Assert.Equal(0L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM t"));
    }
}

public sealed class DumpDeterminismTests(PostgresFixture pg)
{
    [Fact]
    public async Task TheSessionsTimeZone_DoesNotChangeTheDump_SoUnchangedDataDeduplicates()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("tz");
        await pg.ExecuteAsync(database, "CREATE TABLE events (at timestamptz); INSERT INTO events SELECT timestamptz '2026-01-01 00:00:00+00' + g * interval '1 hour' FROM generate_series(1, 200000) g;");
        // The same database seen through sessions in two time zones (as cron and a person's shell may differ).
        string Url(string zone) => pg.Url(database) + "?options=" + Uri.EscapeDataString($"-c TimeZone={zone}");
        var newYork = TestConfig.Context(dir, Url("America/New_York"));
        await new InitOperation(newYork).RunAsync(null, dir.Path, ct);
        var first = await new BackupOperation(newYork).RunAsync(new BackupRequest(), null, ct);
        var tokyo = TestConfig.Context(dir, Url("Asia/Tokyo"));
        var second = await new BackupOperation(tokyo).RunAsync(new BackupRequest(), null, ct);
        // The table's COPY text is the same; of the dump's chunks only the first, holding the archive header with
        // pg_dump's creation time, may be new.
        string EventsHash(BackupResult backup) => backup.Snapshot.Manifest.Fingerprints!.Tables.Single(t => t.Name == "events").Hash;
        Assert.Equal(EventsHash(first), EventsHash(second));
        var chunks = first.Snapshot.Manifest.Statistics!.NewChunks;
        Assert.True(chunks >= 10, $"{chunks} chunks: too few to tell");
        Assert.InRange(second.Snapshot.Manifest.Statistics!.NewChunks, 0, 1);
        var drill = await new Bulwark.Operations.Drills.DrillOperation(tokyo).RunAsync(new Bulwark.Operations.Drills.DrillRequest { Snapshot = "latest" }, null, ct);
        Assert.True(drill.Passed);
    }
}
