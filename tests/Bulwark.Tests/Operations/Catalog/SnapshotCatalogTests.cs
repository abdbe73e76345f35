using System.Text.Json;
using Bulwark.Operations;
using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Catalog;

/// <summary>
/// The snapshot summaries cached in the state folder: trusted only in their own format and only while the listing
/// shows the manifest object they were made from.
/// </summary>
public sealed class SnapshotCatalogTests : FakeClockTest
{
    private async Task<(SyntheticRepository Repo, List<Snapshot> Snapshots)> CreateAsync(int count)
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"), _time);
        var snapshots = new List<Snapshot>();
        for (var i = 0; i < count; i++)
            snapshots.Add(await repo.AddSnapshotAsync(Enumerable.Range(i * 10, 4), Now.AddDays(i - count)));
        return (repo, snapshots);
    }

    private string State => _directory.Combine("state");

    [Fact]
    public async Task ACacheOfAnOlderFormat_IsNotTrusted_TheManifestsAreReadAgainAndItIsRemoved()
    {
        var (repo, snapshots) = await CreateAsync(2);
        var catalog = new SnapshotCatalog(repo.Repository, State);
        Directory.CreateDirectory(catalog.Folder);
        // Lines as an older version wrote them: no profile, no manifest object size; here with a host the manifests lack.
        var old = Path.Combine(catalog.Folder, "snapshots.jsonl");
        await File.WriteAllLinesAsync(old, snapshots.Select(s => JsonSerializer.Serialize(
            SnapshotSummary.From(s) with { Host = "stale" }, OperationsJson.TypeInfo<SnapshotSummary>())), Ct);

        var summaries = await catalog.ListAsync(Ct);

        Assert.Equal(snapshots.Select(s => s.Id.ToString()), summaries.Select(s => s.Id));
        Assert.All(summaries, s => Assert.Equal("synthetic", s.Host));
        Assert.False(File.Exists(old));
        Assert.Equal(2, (await File.ReadAllLinesAsync(Path.Combine(catalog.Folder, "snapshots-2.jsonl"), Ct)).Length);
    }

    [Fact]
    public async Task AManifestDamagedAfterItsSummaryWasCached_IsLeftOutAndNamedByItsFullId()
    {
        var (repo, snapshots) = await CreateAsync(4);
        Assert.Equal(4, (await new SnapshotCatalog(repo.Repository, State).ListAsync(Ct)).Count);
        string PathOf(Snapshot s) => repo.PathOf(RepositoryLayout.SnapshotName(s.Id));

        // One bit flipped in place (same size), one truncated, one copied back unchanged (a new write time only).
        var written = File.GetLastWriteTimeUtc(PathOf(snapshots[0]));
        var flipped = await File.ReadAllBytesAsync(PathOf(snapshots[0]), Ct);
        flipped[flipped.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(PathOf(snapshots[0]), flipped, Ct);
        // However coarse the file system's clock, the rewrite is later than the write.
        File.SetLastWriteTimeUtc(PathOf(snapshots[0]), written.AddSeconds(1));
        var truncated = await File.ReadAllBytesAsync(PathOf(snapshots[1]), Ct);
        await File.WriteAllBytesAsync(PathOf(snapshots[1]), truncated[..(truncated.Length / 2)], Ct);
        var copied = await File.ReadAllBytesAsync(PathOf(snapshots[2]), Ct);
        File.Delete(PathOf(snapshots[2]));
        await File.WriteAllBytesAsync(PathOf(snapshots[2]), copied, Ct);
        File.SetLastWriteTimeUtc(PathOf(snapshots[2]), DateTime.UtcNow.AddMinutes(1));

        // A fresh repository object, so that no manifest is remembered in memory.
        var reopened = await BackupRepository.OpenAsync(new Bulwark.Storage.Local.LocalBackend(repo.Root),
            new RepositoryOpenOptions { Time = _time }, Ct);
        var catalog = new SnapshotCatalog(reopened, State);
        var summaries = await catalog.ListAsync(Ct);

        Assert.Equal([snapshots[2].Id.ToString(), snapshots[3].Id.ToString()], summaries.Select(s => s.Id));
        Assert.Equal(new[] { snapshots[0].Id, snapshots[1].Id }.Order(), catalog.Damaged.Select(d => d.Id));
        Assert.All(catalog.Damaged, d => Assert.Contains(RepositoryLayout.SnapshotName(d.Id), d.Error));

        // Still named on the next run: a damaged manifest is never cached.
        var again = new SnapshotCatalog(reopened, State);
        Assert.Equal(2, (await again.ListAsync(Ct)).Count);
        Assert.Equal(2, again.Damaged.Count);
    }
}
