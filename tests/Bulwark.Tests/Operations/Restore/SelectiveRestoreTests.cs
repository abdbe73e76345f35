using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Sources.Postgres.Fingerprints;

namespace Bulwark.Tests.Operations.Restore;

public sealed class SelectiveRestoreTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _dir = new();

    public SelectiveRestoreTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RestoreSchema_IntoANewDatabase_CreatesTheSchemaAndOnlyItsObjects()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = TestConfig.Context(_dir, _pg.Url(database));
        await new InitOperation(context).RunAsync(null, _dir.Path, CancellationToken.None);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);
        var target = _pg.NewDatabaseName("schema");

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = _pg.Url(target), Create = true, Schemas = ["shop"] },
            null, CancellationToken.None);

        Assert.Equal(2000L, await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM shop.orders"));
        Assert.Equal(1L, await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_customer_idx'"));
        Assert.Equal(0L, await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM pg_tables WHERE tablename = 'dups'"));
    }

    [Fact]
    public async Task RestoreTable_Succeeds_ThoughPgRestoreStopsReadingEarly()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = TestConfig.Context(_dir, _pg.Url(database));
        await new InitOperation(context).RunAsync(null, _dir.Path, CancellationToken.None);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);
        var target = _pg.NewDatabaseName("table");

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = _pg.Url(target), Create = true, Tables = ["dups"] },
            null, CancellationToken.None);

        Assert.Equal(5L, await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM public.dups"));
    }

    [Fact]
    public async Task RestoreSchema_ThatTheSnapshotLacks_FailsClearly()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var context = TestConfig.Context(_dir, _pg.Url(database));
        await new InitOperation(context).RunAsync(null, _dir.Path, CancellationToken.None);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);
        var target = _pg.NewDatabaseName("noschema");
        var error = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = _pg.Url(target), Create = true, Schemas = ["nope"] }, null, CancellationToken.None));
        Assert.Contains("no schema named nope", error.Message);
        Assert.Null(await _pg.ScalarAsync<int?>("postgres", $"SELECT 1 FROM pg_database WHERE datname = '{target}'"));
    }
}
