using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Copy;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Verify;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Repository.Encryption;

namespace Bulwark.Tests.Operations.Copy;

public sealed class CopyOperationTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _directory = new();

    public CopyOperationTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A small database whose dump spans a few dozen chunks.</summary>
    private async Task<string> DatabaseAsync()
    {
        var db = await _pg.CreateDatabaseAsync("copy");
        await _pg.ExecuteAsync(db, """
            CREATE TABLE items (id int PRIMARY KEY, body text NOT NULL);
            INSERT INTO items SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 40000) g;
            """);
        return db;
    }

    private BulwarkContext Context(string repository, string? db, IReadOnlyDictionary<string, string>? environment = null,
        string? copyTo = null) =>
        new(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = _directory.Combine(repository),
            State = _directory.Combine("state"),
            Postgres = new PostgresConfig { Url = db is null ? null : _pg.Url(db) },
            CopyTo = copyTo,
        }, _directory.Path, name => environment?.GetValueOrDefault(name)));

    private async Task InitAsync(BulwarkContext context, bool encrypt) =>
        await new InitOperation(context).RunAsync(context.Settings.Repository, _directory.Path,
            new InitOptions { Encrypt = encrypt, Kdf = EncryptionTests.FastKdf }, Ct);

    private static Task<BackupResult> BackupAsync(BulwarkContext context) =>
        new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

    private async Task<byte[]> DumpAsync(BulwarkContext context, string snapshot)
    {
        var path = _directory.Combine($"dump-{Guid.NewGuid():N}");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = snapshot, ToFile = path }, null, Ct);
        return await File.ReadAllBytesAsync(path, Ct);
    }

    [Fact]
    public async Task Copy_FromPlainToEncrypted_SendsOnlyMissingChunks_AndReadsBackTheSame()
    {
        var db = await DatabaseAsync();
        var source = Context("plain", db);
        await InitAsync(source, encrypt: false);
        var first = await BackupAsync(source);
        await _pg.ExecuteAsync(db, "UPDATE items SET body = 'changed' WHERE id % 1000 = 0");
        var second = await BackupAsync(source);

        var destinationEnvironment = new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "offsite" };
        var destination = Context("offsite", null, destinationEnvironment);
        await InitAsync(destination, encrypt: true);
        var copier = Context("plain", null, new Dictionary<string, string> { ["BULWARK_NEW_PASSWORD"] = "offsite" });
        var to = destination.Settings.Repository!;

        var one = await new CopyOperation(copier).RunAsync(new CopyRequest { To = to, Snapshots = [first.Snapshot.ShortId] }, null, Ct);
        Assert.Equal(first.Snapshot.ShortId, Assert.Single(one.Copied).Source);
        var chunksOfSecond = second.Snapshot.Manifest.Streams.SelectMany(s => s.Chunks).Select(c => c.Id).Distinct().Count();

        var rest = await new CopyOperation(copier).RunAsync(new CopyRequest { To = to }, null, Ct);
        Assert.Equal(second.Snapshot.ShortId, Assert.Single(rest.Copied).Source);
        Assert.Equal([first.Snapshot.ShortId], rest.AlreadyThere);
        Assert.InRange(rest.ChunksSent, 1, chunksOfSecond - 1); // only what changed travels
        Assert.True(rest.ChunksReused > 0);

        var again = await new CopyOperation(copier).RunAsync(new CopyRequest { To = to }, null, Ct);
        Assert.Empty(again.Copied);
        Assert.Equal(0, again.ChunksSent);

        var report = await new VerifyOperation(destination).RunAsync(null, readData: true, null, Ct);
        Assert.Equal(2, report.SnapshotsChecked);
        Assert.Equal(await DumpAsync(source, second.Snapshot.ShortId), await DumpAsync(destination, "latest"));
        // The copy's manifest names its origin and uses the destination's (keyed) chunk ids.
        await using var offsite = await destination.OpenRepositoryAsync(Ct);
        var copied = await offsite.ResolveSnapshotAsync("latest", Ct);
        Assert.Equal(second.Snapshot.Id.ToString(), copied.Manifest.CopiedFrom!.Snapshot);
        Assert.Empty(copied.Manifest.Streams[0].Chunks.Select(c => c.Id).Intersect(second.Snapshot.Manifest.Streams[0].Chunks.Select(c => c.Id)));
    }

    [Fact]
    public async Task Copy_BetweenEncryptedRepositories_WithDifferentPassphrases()
    {
        var db = await DatabaseAsync();
        var source = Context("a", db, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "alpha" });
        await InitAsync(source, encrypt: true);
        var backup = await BackupAsync(source);
        var destination = Context("b", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "bravo" });
        await InitAsync(destination, encrypt: true);

        var wrong = Context("a", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "alpha", ["BULWARK_NEW_PASSWORD"] = "charlie" });
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            new CopyOperation(wrong).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct));
        Assert.Equal(ErrorKind.WrongPassphrase, error.Kind);
        Assert.Contains("BULWARK_NEW_PASSWORD", error.Advice);

        var right = Context("a", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "alpha", ["BULWARK_NEW_PASSWORD"] = "bravo" });
        var result = await new CopyOperation(right).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct);
        Assert.Single(result.Copied);
        Assert.Equal(await DumpAsync(source, backup.Snapshot.ShortId), await DumpAsync(destination, "latest"));
    }

    /// <summary>
    /// 'key remove' is not revocation (the master key stays); the rotation procedure of the README is a copy into a new
    /// encrypted repository, which re-seals everything under a new master key that the old key object cannot reach.
    /// </summary>
    [Fact]
    public async Task CopyIntoANewEncryptedRepository_LeavesARemovedKeyAndItsPassphraseUseless()
    {
        var old = await SyntheticRepository.CreateEncryptedAsync(_directory.Combine("old"), "leaked");
        await old.AddSnapshotAsync(Enumerable.Range(0, 20), DateTimeOffset.UtcNow.AddHours(-1));
        await old.Repository.DisposeAsync();
        var leakedKey = Directory.GetFiles(_directory.Combine("old", "keys")).Single();
        var saved = await File.ReadAllBytesAsync(leakedKey, Ct);
        var oldContext = Context("old", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "leaked", ["BULWARK_NEW_PASSWORD"] = "kept" });
        await new KeyOperation(oldContext).AddAsync(EncryptionTests.FastKdf, Ct);
        await new KeyOperation(oldContext).RemoveAsync(Path.GetFileName(leakedKey)[..8], Ct);
        // What 'key remove' does not do: the saved key object and its passphrase still open the old repository.
        await File.WriteAllBytesAsync(leakedKey, saved, Ct);
        await using (await Context("old", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "leaked" }).OpenRepositoryAsync(Ct))
        {
        }

        var fresh = Context("new", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "kept" });
        await InitAsync(fresh, encrypt: true);
        var copy = await new CopyOperation(Context("old", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "kept", ["BULWARK_NEW_PASSWORD"] = "kept" }))
            .RunAsync(new CopyRequest { To = _directory.Combine("new") }, null, Ct);
        Assert.Single(copy.Copied);

        // The saved key object, put into the new repository, does not open it with the old passphrase...
        await File.WriteAllBytesAsync(Path.Combine(_directory.Combine("new", "keys"), Path.GetFileName(leakedKey)), saved, Ct);
        var refused = await Assert.ThrowsAsync<BulwarkException>(() =>
            Context("new", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "leaked" }).OpenRepositoryAsync(Ct));
        Assert.Equal(ErrorKind.WrongPassphrase, refused.Kind);
        // ...and the old master key it wraps decrypts none of the new repository's objects.
        var oldBackend = new Bulwark.Storage.Local.LocalBackend(_directory.Combine("old"));
        var oldConfig = Bulwark.Repository.Format.RepositoryJson.Deserialize<Bulwark.Repository.Format.RepositoryConfig>(
            await File.ReadAllBytesAsync(_directory.Combine("old", "config"), Ct), "config");
        var oldCipher = await Bulwark.Repository.Encryption.RepositoryKeys.OpenAsync(
            new Bulwark.Repository.BulwarkRepositoryContext(oldBackend, oldConfig), "leaked", Ct);
        var objects = Directory.GetFiles(_directory.Combine("new", "chunks"), "*", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(_directory.Combine("new", "snapshots"))).ToList();
        Assert.True(objects.Count > 1);
        foreach (var file in objects)
            Assert.Equal(ErrorKind.Integrity, Assert.Throws<BulwarkException>(() => oldCipher.Open(File.ReadAllBytes(file), file)).Kind);
        await using var reopened = await fresh.OpenRepositoryAsync(Ct);
        Assert.Single(await reopened.ListSnapshotsAsync(Ct));
    }

    [Fact]
    public async Task CopyTo_CopiesEveryBackup_AndAFailedCopyIsNotSilent()
    {
        var db = await DatabaseAsync();
        var offsite = Context("offsite", null);
        await InitAsync(offsite, encrypt: false);
        var source = Context("main", db, copyTo: offsite.Settings.Repository);
        await InitAsync(source, encrypt: false);

        var backup = await BackupAsync(source);
        Assert.NotNull(backup.Copy);
        Assert.Equal(backup.Snapshot.ShortId, Assert.Single(backup.Copy.Copied).Source);
        await using (var repository = await offsite.OpenRepositoryAsync(Ct))
            Assert.Single(await repository.ListSnapshotsAsync(Ct));

        var broken = Context("main", db, copyTo: _directory.Combine("nowhere"));
        var failure = await Assert.ThrowsAsync<CopyAfterBackupFailedException>(() => BackupAsync(broken));
        Assert.Equal(ErrorKind.Repository, failure.Kind);
        Assert.Contains("was saved, but copying it to", failure.Message);
        Assert.Contains("bulwark copy --to", failure.Advice);
        await using (var repository = await source.OpenRepositoryAsync(Ct))
            Assert.Equal(2, (await repository.ListSnapshotsAsync(Ct)).Count);
        var log = source.Log.Read();
        Assert.Equal(OperationLog.Ok, log[^2].Outcome);
        Assert.Equal("backup", log[^2].Operation);
        Assert.Equal("copy", log[^1].Operation);
        Assert.Equal(OperationLog.Failed, log[^1].Outcome);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Copy_BringsTheRulesetRegistryAlong_Once()
    {
        var db = await DatabaseAsync();
        var source = Context("plain", db);
        await InitAsync(source, encrypt: false);
        var rulesets = new Bulwark.Operations.Rulesets.RulesetOperations(source);
        await File.WriteAllTextAsync(_directory.Combine("ruleset.yml"), "limits:\n  requests: 10\n", Ct);
        await rulesets.CreateVersionAsync(Bulwark.Versioning.Rulesets.VersionBump.Patch, "first", "alice", cancellationToken: Ct);
        await File.WriteAllTextAsync(_directory.Combine("ruleset.yml"), "limits:\n  requests: 20\n", Ct);
        await rulesets.CreateVersionAsync(Bulwark.Versioning.Rulesets.VersionBump.Minor, "second", "bob", cancellationToken: Ct);
        await BackupAsync(source);

        var destination = Context("offsite", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "offsite" });
        await InitAsync(destination, encrypt: true);
        var copier = Context("plain", null, new Dictionary<string, string> { ["BULWARK_NEW_PASSWORD"] = "offsite" });
        var result = await new CopyOperation(copier).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct);
        Assert.Equal(2, result.EventsCopied);

        var copied = await new Bulwark.Operations.Rulesets.RulesetOperations(destination).GetVersionsAsync(cancellationToken: Ct);
        Assert.Equal(["1.0.0", "1.1.0"], copied.Select(v => v.Version).ToArray());
        Assert.Equal(["alice", "bob"], copied.Select(v => v.Author).ToArray());
        var again = await new CopyOperation(copier).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct);
        Assert.Equal(0, again.EventsCopied);
    }

    [Fact]
    public async Task Copy_BringsTheDrillsOfCopiedSnapshotsToTheirCopies_NotVerifications()
    {
        var db = await DatabaseAsync();
        var source = Context("plain", db);
        await InitAsync(source, encrypt: false);
        var first = await BackupAsync(source);
        await BackupAsync(source); // never drilled: nothing to bring
        var drill = await new Bulwark.Operations.Drills.DrillOperation(source).RunAsync(
            new Bulwark.Operations.Drills.DrillRequest { Snapshot = first.Snapshot.ShortId }, null, Ct);
        Assert.True(drill.Passed);
        await new VerifyOperation(source).RunAsync(null, readData: true, null, Ct);

        var destination = Context("offsite", null, new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "offsite" });
        await InitAsync(destination, encrypt: true);
        var copier = Context("plain", null, new Dictionary<string, string> { ["BULWARK_NEW_PASSWORD"] = "offsite" });
        var result = await new CopyOperation(copier).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct);
        Assert.Equal(1, result.DrillsCopied);

        await using var offsite = await destination.OpenRepositoryAsync(Ct);
        var copyOfFirst = (await offsite.ListSnapshotsAsync(Ct)).Single(s => s.Manifest.CopiedFrom!.Snapshot == first.Snapshot.Id.ToString());
        var proofs = await offsite.ReadEventsAsync<Bulwark.Repository.Snapshots.ProofRecord>(Bulwark.Repository.RepositoryLayout.ProofEvents, Ct);
        var proof = Assert.Single(proofs);
        Assert.Equal((copyOfFirst.Id.ToString(), "drill", true), (proof.Snapshot, proof.Kind, proof.Passed));
        Assert.Equal(drill.SnapshotTime, copyOfFirst.Manifest.Time);
        await using (var plain = await source.OpenRepositoryAsync(Ct))
            Assert.Equal(plain.Config.Id, proof.Details!["provenIn"]);
        Assert.Equal(drill.RestoreDuration.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), proof.Details["restoreSeconds"]);

        var again = await new CopyOperation(copier).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct);
        Assert.Equal(0, again.DrillsCopied);
        Assert.Single(await offsite.ReadEventsAsync<Bulwark.Repository.Snapshots.ProofRecord>(Bulwark.Repository.RepositoryLayout.ProofEvents, Ct));
    }

    [Fact]
    public async Task Copy_WhoseChunkACleanupOfTheDestinationDeleted_CommitsNothing()
    {
        var db = await DatabaseAsync();
        var source = Context("plain", db);
        await InitAsync(source, encrypt: false);
        await BackupAsync(source);
        var destination = Context("offsite", null);
        await InitAsync(destination, encrypt: false);

        // A cleanup of the destination sweeps while the copy runs and deletes a chunk just after the copy wrote it
        // (the instant between the cleanup's second look and its delete).
        var offsite = destination.Settings.Repository!;
        var registry = Bulwark.Operations.StorageSetup.CreateRegistry(source.Settings, null)
            .Decorate(backend => backend.Location.Contains("offsite", StringComparison.Ordinal) ? new SweepAfterFirstChunk(backend) : backend);
        var copier = new BulwarkContext(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = source.Settings.Repository, State = _directory.Combine("state"),
        }, _directory.Path, _ => null), null, registry);

        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            new CopyOperation(copier).RunAsync(new CopyRequest { To = offsite }, null, Ct));
        Assert.Contains("a cleanup that ran during this copy removed 1 chunk(s) it needs; no snapshot was written", error.Message);
        await using var repository = await destination.OpenRepositoryAsync(Ct);
        Assert.Empty(await repository.ListSnapshotsAsync(Ct));
    }

    [Fact]
    public async Task CopyOfEverySnapshot_CopiesThoseThatRead_ThenFailsNamingTheDamagedManifest()
    {
        var db = await DatabaseAsync();
        var source = Context("plain", db);
        await InitAsync(source, encrypt: false);
        var damaged = (await BackupAsync(source)).Snapshot;
        await _pg.ExecuteAsync(db, "UPDATE items SET body = 'changed' WHERE id % 1000 = 0");
        var good = (await BackupAsync(source)).Snapshot;
        var manifest = _directory.Combine("plain", Bulwark.Repository.RepositoryLayout.SnapshotName(damaged.Id));
        var bytes = await File.ReadAllBytesAsync(manifest, Ct);
        bytes[bytes.Length / 2] ^= 0x20;
        await File.WriteAllBytesAsync(manifest, bytes, Ct);
        var destination = Context("offsite", null);
        await InitAsync(destination, encrypt: false);

        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            new CopyOperation(source).RunAsync(new CopyRequest { To = destination.Settings.Repository! }, null, Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains("1 snapshot(s) copied", error.Message);
        Assert.Contains($"snapshots/{damaged.Id} cannot be read", error.Message);
        await using var repository = await destination.OpenRepositoryAsync(Ct);
        var copy = Assert.Single(await repository.ListSnapshotsAsync(Ct));
        Assert.Equal(good.Id.ToString(), copy.Manifest.CopiedFrom!.Snapshot);
    }

    private sealed class SweepAfterFirstChunk(Bulwark.Storage.IStorageBackend inner) : Bulwark.Storage.IStorageBackend
    {
        private int _chunks;
        public string Location => inner.Location;
        public Bulwark.Storage.StorageCapabilities Capabilities => inner.Capabilities;
        public Task CreateAsync(CancellationToken ct) => inner.CreateAsync(ct);
        public Task<byte[]> GetAsync(string n, CancellationToken ct) => inner.GetAsync(n, ct);
        public Task<Bulwark.Storage.StorageObjectInfo?> StatAsync(string n, CancellationToken ct) => inner.StatAsync(n, ct);
        public IAsyncEnumerable<Bulwark.Storage.StorageObjectInfo> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
        public Task DeleteAsync(string n, CancellationToken ct) => inner.DeleteAsync(n, ct);
        public ValueTask DisposeAsync() => inner.DisposeAsync();

        public async Task PutAsync(string n, ReadOnlyMemory<byte> data, CancellationToken ct)
        {
            await inner.PutAsync(n, data, ct);
            if (n.StartsWith("chunks/", StringComparison.Ordinal) && Interlocked.Increment(ref _chunks) == 1)
            {
                var millis = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString("D15", System.Globalization.CultureInfo.InvariantCulture);
                await inner.PutAsync($"events/sweeps/{millis}-0000", new byte[] { 0 }, ct);
                await inner.DeleteAsync(n, ct);
            }
        }
    }
}
