using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Retention;
using Bulwark.Operations.Verify;
using Bulwark.Repository.Maintenance;
using Bulwark.Storage;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Retention;

/// <summary>
/// A real backup of a real database, held just before it commits while a cleanup runs with no grace period: the
/// cleanup must spare both the chunks the backup wrote and the chunks it reuses from a snapshot the cleanup removes.
/// </summary>
public sealed class CleanupDuringBackupTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _directory = new();

    public CleanupDuringBackupTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private BulwarkContext Context(string database, BackendRegistry? backends = null, Action<BulwarkConfig>? configure = null)
    {
        var config = new BulwarkConfig
        {
            Repository = _directory.Combine("repo"),
            State = _directory.Combine("state"),
            Postgres = new PostgresConfig { Url = _pg.Url(database) },
            Cleanup = new CleanupConfig { GracePeriod = "0s", ClockSkew = "1s" },
        };
        configure?.Invoke(config);
        return new BulwarkContext(LoadedConfig.FromObject(config, _directory.Path, _ => null), null, backends);
    }

    [Fact]
    public async Task CleanupDuringABackup_SparesItsChunks_AndEverySnapshotStillRestores()
    {
        var db = await _pg.CreateDatabaseAsync("gc");
        await _pg.ExecuteAsync(db, """
            CREATE TABLE x AS SELECT g AS id, md5(g::text) || repeat('x', 120) AS v FROM generate_series(1, 30000) g;
            CREATE TABLE y AS SELECT g AS id, md5((g * 7)::text) || repeat('y', 120) AS v FROM generate_series(1, 20000) g;
            """);
        var plain = Context(db);
        await new InitOperation(plain).RunAsync(plain.RepositoryLocation, _directory.Path, Ct);

        // S1 holds x's rows; S2 does not (x's data excluded), so x's chunks are referenced by S1 alone.
        var s1 = await new BackupOperation(plain).RunAsync(new BackupRequest(), null, Ct);
        var withoutX = Context(db, configure: c => c.Postgres.ExcludeTableData = ["x"]);
        var s2 = await new BackupOperation(withoutX).RunAsync(new BackupRequest(), null, Ct);
        await _pg.ExecuteAsync(db, "INSERT INTO y SELECT g, md5((g * 11)::text) || repeat('z', 120) FROM generate_series(20001, 40000) g");
        var repo = new SyntheticRepositoryFiles(plain.RepositoryLocation);
        repo.AgeAllChunks(DateTimeOffset.UtcNow.AddHours(-1)); // everything so far is old: only the protocol can save it

        // B backs up x and the new rows of y: it reuses x's chunks from S1 (its parent) and writes y's new ones.
        var gate = new HoldCommit();
        var held = Context(db, new BackendRegistry().Decorate(b => new HoldingBackend(b, gate)));
        var backup = Task.Run(() => new BackupOperation(held).RunAsync(new BackupRequest(), null, Ct), Ct);
        await gate.Reached.Task.WaitAsync(TimeSpan.FromMinutes(2), Ct);

        var keepLast = new RetentionPolicy { KeepLast = 1 };
        var during = await new CleanupOperation(plain).RunAsync(false, null, Ct, keepLast);
        Assert.Equal([s1.Snapshot.Id], during.Plan.Forgotten.Select(d => d.Snapshot.Id));
        var gc = during.Collection;
        Assert.Contains(gc.RunningOperations, r => r.StartsWith("backup (shared)", StringComparison.Ordinal));
        Assert.True(gc.ChunksKeptForForgottenSnapshots > 0, "x's chunks, referenced only by the removed S1, must be kept for B");
        Assert.True(gc.ChunksKeptForRunningOperations > 0, "the chunks B wrote must be kept");

        gate.Release.TrySetResult();
        var b = await backup;
        Assert.NotNull(b.Snapshot);

        var verify = await new VerifyOperation(plain).RunAsync(null, readData: true, null, Ct);
        Assert.True(verify.Ok);
        Assert.Equal(2, verify.SnapshotsChecked);

        async Task<(long X, long Y)> RestoreAsync(string snapshot)
        {
            var target = _pg.NewDatabaseName("gcr");
            await new RestoreOperation(plain).RunAsync(new RestoreRequest { Snapshot = snapshot, Target = _pg.Url(target), Create = true }, null, Ct);
            return (await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM x"), await _pg.ScalarAsync<long>(target, "SELECT count(*) FROM y"));
        }
        Assert.Equal((0L, 20000L), await RestoreAsync(s2.Snapshot.Id.ToString()));
        Assert.Equal((30000L, 40000L), await RestoreAsync(b.Snapshot.Id.ToString()));

        // Once B has ended, the next cleanup removes S2 and what only S1 and S2 needed; B stays whole.
        var after = await new CleanupOperation(plain).RunAsync(false, null, Ct, keepLast);
        Assert.Equal([s2.Snapshot.Id], after.Plan.Forgotten.Select(d => d.Snapshot.Id));
        Assert.Equal(0, after.Collection.ChunksKeptForForgottenSnapshots);
        Assert.True(after.Collection.ChunksDeleted > 0);
        Assert.Equal(after.Collection.ChunksReferenced, after.Collection.ChunksTotal - after.Collection.ChunksDeleted);
        Assert.False(Directory.EnumerateFiles(Path.Combine(plain.RepositoryLocation, "forgotten")).Any());
        var verifyAfter = await new VerifyOperation(plain).RunAsync(null, readData: true, null, Ct);
        Assert.Equal(1, verifyAfter.SnapshotsChecked);
    }

    private sealed class HoldCommit
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Holds the manifest write (the commit) until released: the backup has written all its chunks then.</summary>
    private sealed class HoldingBackend(IStorageBackend inner, HoldCommit gate) : IStorageBackend
    {
        public string Location => inner.Location;
        public Bulwark.Storage.StorageCapabilities Capabilities => inner.Capabilities;
        public Task CreateAsync(CancellationToken cancellationToken) => inner.CreateAsync(cancellationToken);
        public Task<byte[]> GetAsync(string name, CancellationToken ct) => inner.GetAsync(name, ct);
        public Task<StorageObjectInfo?> StatAsync(string name, CancellationToken ct) => inner.StatAsync(name, ct);
        public IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
        public Task DeleteAsync(string name, CancellationToken ct) => inner.DeleteAsync(name, ct);
        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public async Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            if (name.StartsWith("snapshots/", StringComparison.Ordinal))
            {
                gate.Reached.TrySetResult();
                await gate.Release.Task.WaitAsync(ct);
            }
            await inner.PutAsync(name, data, ct);
        }
    }

    /// <summary>File-level access to a local repository.</summary>
    private sealed class SyntheticRepositoryFiles(string root)
    {
        public void AgeAllChunks(DateTimeOffset time)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "chunks"), "*", SearchOption.AllDirectories))
                File.SetLastWriteTimeUtc(file, time.UtcDateTime);
        }
    }
}
