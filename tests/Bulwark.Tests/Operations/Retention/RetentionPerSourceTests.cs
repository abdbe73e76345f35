using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Retention;
using Bulwark.Operations.Snapshots;
using Bulwark.Operations.Status;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Retention;

/// <summary>Each source's snapshots are kept by its own retention rules; unused chunks are collected repository-wide.</summary>
public sealed class RetentionPerSourceTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Cleanup_KeepsEachSourcesSnapshotsByItsOwnPolicy_AndSourceLimitsItToOne()
    {
        var app = await pg.CreateDatabaseAsync("ra");
        var crm = await pg.CreateDatabaseAsync("rc");
        await pg.ExecuteAsync(app, "CREATE TABLE a AS SELECT g AS id FROM generate_series(1, 100) g;");
        await pg.ExecuteAsync(crm, "CREATE TABLE c AS SELECT g AS id FROM generate_series(1, 100) g;");
        var context = FleetConfig.Context(_directory, [("app", pg.Url(app)), ("crm", pg.Url(crm))], configure: config =>
        {
            // app: its own policy; crm: the top-level one.
            config.Sources[0].Retention = new RetentionConfig { KeepLast = 1, MaxAge = "off", MaxCount = 0 };
            config.Retention = new RetentionConfig { KeepLast = 3, MaxAge = "off", MaxCount = 0 };
            config.Cleanup = new CleanupConfig { GracePeriod = "0s", ClockSkew = "1s" };
        });
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);
        var backup = new SourcesBackup(context);
        for (var i = 0; i < 4; i++)
        {
            var outcomes = await backup.RunAsync(context.SelectSources(null), new BackupRequest(), parallel: 2, null, Ct);
            Assert.All(outcomes, o => Assert.Null(o.Error));
        }

        var status = await new StatusOperation(context).RunAsync(null, Ct);
        Assert.Equal((1, 3), (status.Sources[0].Retention!.Kept, status.Sources[0].Retention!.WouldRemove));
        Assert.Equal((3, 1), (status.Sources[1].Retention!.Kept, status.Sources[1].Retention!.WouldRemove));

        // --source crm: only crm's rules are applied; app's four snapshots stay.
        var crmOnly = await new CleanupOperation(context.ForSource(context.SelectSources("crm")[0])).RunAsync(false, null, Ct);
        Assert.Equal(1, crmOnly.Collection.SnapshotsRemoved);
        Assert.All(crmOnly.Plan.Decisions, d => Assert.Equal("crm", d.Snapshot.Manifest.Source.Name));
        Assert.Equal(4, await CountAsync("app"));
        Assert.Equal(3, await CountAsync("crm"));

        var all = await new CleanupOperation(context).RunAsync(false, null, Ct);
        Assert.Equal(3, all.Collection.SnapshotsRemoved);
        Assert.Equal(1, await CountAsync("app"));
        Assert.Equal(3, await CountAsync("crm"));

        async Task<int> CountAsync(string source) =>
            (await new SnapshotOperations(context.ForSource(context.SelectSources(source)[0])).ListAsync(Ct)).Snapshots.Count;
    }
}
