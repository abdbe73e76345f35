using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Health;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Status;
using Bulwark.Repository.Locking;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Backup;

/// <summary>Several databases in one configuration, backed up into one repository (real PostgreSQL).</summary>
public sealed class SourcesBackupTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(string App, string Crm)> TwoDatabasesAsync()
    {
        var app = await pg.CreateDatabaseAsync("fa");
        var crm = await pg.CreateDatabaseAsync("fc");
        // The same table in both: its chunks are shared across the sources.
        const string shared = "CREATE TABLE shared AS SELECT g AS id, md5(g::text) || repeat('s', 200) AS v FROM generate_series(1, 20000) g;";
        await pg.ExecuteAsync(app, shared + "CREATE TABLE orders (id int PRIMARY KEY, total numeric); INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 300) g;");
        await pg.ExecuteAsync(crm, shared + "CREATE TABLE contacts (id int PRIMARY KEY, name text); INSERT INTO contacts SELECT g, 'c' || g FROM generate_series(1, 700) g;");
        return (app, crm);
    }

    [Fact]
    public async Task TwoSources_BackedUpAtOnce_BothSucceed_RecordTheirNames_AndEachRestores()
    {
        var (app, crm) = await TwoDatabasesAsync();
        var context = FleetConfig.Context(_directory, [("app", pg.Url(app)), ("crm", pg.Url(crm))]);
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);

        var outcomes = await new SourcesBackup(context).RunAsync(context.SelectSources(null), new BackupRequest(), parallel: 2, null, Ct);

        Assert.Equal(["app", "crm"], outcomes.Select(o => o.Source));
        Assert.All(outcomes, o => Assert.Null(o.Error));
        Assert.Equal("app", outcomes[0].Result!.Snapshot.Manifest.Source.Name);
        Assert.Equal(app, outcomes[0].Result!.Snapshot.Manifest.Source.Database);
        Assert.Equal("crm", outcomes[1].Result!.Snapshot.Manifest.Source.Name);
        // One content-addressed store: what one source wrote, the other's snapshot references too.
        var appChunks = outcomes[0].Result!.Snapshot.Manifest.Streams.SelectMany(s => s.Chunks).Select(c => c.Id).ToHashSet();
        Assert.Contains(outcomes[1].Result!.Snapshot.Manifest.Streams.SelectMany(s => s.Chunks), c => appChunks.Contains(c.Id));

        foreach (var (name, table, rows, snapshot) in new[] { ("app", "orders", 300L, outcomes[0].Result!.Snapshot.Id.ToString()), ("crm", "contacts", 700L, outcomes[1].Result!.Snapshot.Id.ToString()) })
        {
            var target = pg.NewDatabaseName("fr");
            var restored = await new RestoreOperation(context.ForSource(context.SelectSources(name)[0]))
                .RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true }, null, Ct);
            Assert.StartsWith(restored.Snapshot, snapshot, StringComparison.Ordinal);
            Assert.Equal(rows, await pg.ScalarAsync<long>(target, $"SELECT count(*) FROM {table}"));
            Assert.Equal(20000L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM shared"));
        }
        // Without a source, 'latest' could be either: refused.
        var ambiguous = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context)
            .RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = _directory.Combine("x.dump") }, null, Ct));
        Assert.Equal(ErrorKind.Usage, ambiguous.Kind);
        Assert.Contains("--source", ambiguous.Advice);
    }

    [Fact]
    public async Task ABackupOfOneSource_RunsBesideAnotherSources_ButNotBesideItsOwn()
    {
        var (app, crm) = await TwoDatabasesAsync();
        var context = FleetConfig.Context(_directory, [("app", pg.Url(app)), ("crm", pg.Url(crm))]);
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);

        // A backup of app in progress (its lock, as BackupOperation takes it).
        await using (var repository = await context.OpenRepositoryAsync(Ct))
        await using (await repository.LockAsync(LockMode.Shared, "backup of app", Ct, "backup:app"))
        {
            var crmBackup = await new BackupOperation(context.ForSource(context.SelectSources("crm")[0])).RunAsync(new BackupRequest(), null, Ct);
            Assert.Equal("crm", crmBackup.Snapshot.Manifest.Source.Name);

            var second = await Assert.ThrowsAsync<BulwarkException>(() =>
                new BackupOperation(context.ForSource(context.SelectSources("app")[0])).RunAsync(new BackupRequest(), null, Ct));
            Assert.Equal(ErrorKind.RepositoryLocked, second.Kind);
            Assert.Contains("backup:app", second.Message);
        }
        var afterwards = await new BackupOperation(context.ForSource(context.SelectSources("app")[0])).RunAsync(new BackupRequest(), null, Ct);
        Assert.Equal("app", afterwards.Snapshot.Manifest.Source.Name);
    }

    [Fact]
    public async Task ASourceThatFails_LeavesTheOthersBackupAndHealthAlone()
    {
        var app = await pg.CreateDatabaseAsync("fh");
        await pg.ExecuteAsync(app, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
        var context = FleetConfig.Context(_directory, [("app", pg.Url(app)), ("broken", FleetConfig.Unreachable)]);
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);

        var outcomes = await new SourcesBackup(context).RunAsync(context.SelectSources(null), new BackupRequest(), parallel: 1, null, Ct);

        Assert.Null(outcomes[0].Error);
        Assert.NotNull(outcomes[0].Result);
        Assert.Equal(ErrorKind.SourceUnavailable, outcomes[1].Error?.Kind);
        Assert.Null(outcomes[1].Result);

        // check --source app: OK, whatever the other source's state.
        var appHealth = await new HealthCheckOperation(context.ForSource(context.SelectSources("app")[0])).RunAsync(new HealthCheckRequest { Quick = true }, Ct);
        Assert.Equal(HealthStatus.Ok, appHealth.Find(HealthCheckNames.BackupAge)!.Status);
        // The whole configuration: CRITICAL, naming the source without a backup.
        var all = await new HealthCheckOperation(context).RunAsync(new HealthCheckRequest { Quick = true }, Ct);
        var age = all.Find(HealthCheckNames.BackupAge)!;
        Assert.Equal(HealthStatus.Critical, age.Status);
        Assert.Contains("broken has no backup yet", age.Summary);
        Assert.DoesNotContain("app", age.Summary);

        var status = await new StatusOperation(context).RunAsync(all, Ct);
        Assert.Equal(["app", "broken"], status.Sources.Select(s => s.Name));
        Assert.Equal(HealthStatus.Ok, status.Sources[0].BackupAgeStatus);
        Assert.Equal(1, status.Sources[0].Snapshots);
        Assert.Equal(outcomes[0].Result!.Snapshot.Id.ToString(), status.Sources[0].LastBackup!.Id);
        Assert.Equal(HealthStatus.Critical, status.Sources[1].BackupAgeStatus);
        Assert.Null(status.Sources[1].LastBackup);
        Assert.Equal(["backup.app", "drill.app"], status.Sources[0].Jobs.Select(j => j.Job));
        Assert.Equal(["backup.broken", "drill.broken"], status.Sources[1].Jobs.Select(j => j.Job));
        // The fields of the single-source shape are still there.
        Assert.Equal(1, status.Snapshots);
        Assert.Equal(outcomes[0].Result!.Snapshot.Id.ToString(), status.LastBackup!.Id);
    }
}
