using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Repository;
using Bulwark.Repository.Streams;
using Bulwark.Repository.Verification;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository;

/// <summary>Fixtures of damaged repositories: every reader rejects them with a message naming the object.</summary>
public sealed class BrokenRepositoryTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TempDirectory Dir, Bulwark.Operations.BulwarkContext Context, string SnapshotId)> BackedUpAsync()
    {
        var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("broken");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 30000) g;");
        var context = TestConfig.Context(dir, pg.Url(database));
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        return (dir, context, backup.Snapshot.Id.ToString());
    }

    private static string ChunkPath(TempDirectory dir, int index = 0) =>
        Directory.EnumerateFiles(dir.Combine("repo", "chunks"), "*", SearchOption.AllDirectories).Order().ElementAt(index);

    [Fact]
    public async Task MissingChunk_IsReportedByVerify_AndStopsARestore()
    {
        var (dir, context, snapshot) = await BackedUpAsync();
        using var cleanup = dir;
        var chunk = ChunkPath(dir);
        File.Delete(chunk);
        var name = Path.GetFileName(chunk);

        await using var repository = await context.OpenRepositoryAsync(Ct);
        var report = await RepositoryVerifier.VerifyAsync(repository, null, readData: false, cancellationToken: Ct);
        var problem = Assert.Single(report.Problems);
        Assert.Contains(name, problem.Object);
        Assert.Equal("chunk is missing", problem.Message);
        Assert.Equal([snapshot[..8]], problem.Snapshots);

        var loaded = await repository.ResolveSnapshotAsync("latest", Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.CopyStreamAsync(loaded.Manifest.Streams[0], Stream.Null, cancellationToken: Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains(name, error.Message);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public async Task FlippedByte_IsFoundByReadData_NotByStructure()
    {
        var (dir, context, snapshot) = await BackedUpAsync();
        using var cleanup = dir;
        var chunk = ChunkPath(dir, 1);
        var bytes = await File.ReadAllBytesAsync(chunk, Ct);
        bytes[bytes.Length / 2] ^= 0x40;
        await File.WriteAllBytesAsync(chunk, bytes, Ct);

        await using var repository = await context.OpenRepositoryAsync(Ct);
        Assert.True((await RepositoryVerifier.VerifyAsync(repository, null, readData: false, cancellationToken: Ct)).Ok);
        var report = await RepositoryVerifier.VerifyAsync(repository, null, readData: true, cancellationToken: Ct);
        var problem = Assert.Single(report.Problems);
        Assert.Contains(Path.GetFileName(chunk), problem.Object);
        Assert.Contains("damaged", problem.Message);
        Assert.Equal([snapshot[..8]], problem.Snapshots);
    }

    [Fact]
    public async Task TruncatedManifest_IsRejectedWithItsName()
    {
        var (dir, context, snapshot) = await BackedUpAsync();
        using var cleanup = dir;
        var manifest = dir.Combine("repo", "snapshots", snapshot);
        var bytes = await File.ReadAllBytesAsync(manifest, Ct);
        await File.WriteAllBytesAsync(manifest, bytes[..(bytes.Length / 2)], Ct);

        await using var repository = await context.OpenRepositoryAsync(Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() => repository.ResolveSnapshotAsync("latest", Ct));
        Assert.Equal(ErrorKind.Integrity, error.Kind);
        Assert.Contains($"snapshots/{snapshot}", error.Message);

        var report = await RepositoryVerifier.VerifyAsync(repository, null, readData: false, cancellationToken: Ct);
        var problem = Assert.Single(report.Problems);
        Assert.Equal($"snapshots/{snapshot}", problem.Object);
    }

    [Fact]
    public async Task BrokenRepositories_GiveExitCode10_FromTheCli()
    {
        var (dir, _, _) = await BackedUpAsync();
        using var cleanup = dir;
        File.Delete(ChunkPath(dir));
        var cli = new CliRunner(dir.Path);
        var result = await cli.RunAsync("verify", "--repo", dir.Combine("repo"));
        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains("chunk is missing", result.Stdout);
        Assert.Contains("verification failed", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task ConfigOfANewerFormat_IsRefusedClearly()
    {
        using var dir = new TempDirectory();
        await using (await ChunkStoreTests.NewRepositoryAsync(dir)) { }
        var path = dir.Combine("repo", "config");
        var text = (await File.ReadAllTextAsync(path, Ct)).Replace("\"format\":1", "\"format\":2");
        await File.WriteAllTextAsync(path, text, Ct);
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            BackupRepository.OpenAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions(), Ct));
        Assert.Equal(ErrorKind.Repository, error.Kind);
        Assert.Contains("format 2", error.Message);
        Assert.Contains("upgrade", error.Advice);
    }
}
