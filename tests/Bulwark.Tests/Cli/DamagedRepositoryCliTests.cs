using System.Text.Json;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>
/// One damaged object never stops the rest: a manifest that does not read is named and left out everywhere but where
/// that snapshot itself is asked for, and a lock object that does not read blocks no backup.
/// </summary>
public sealed class DamagedRepositoryCliTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string RepositoryPath => _dir.Combine("repo");

    /// <summary>A database and a repository with <paramref name="count"/> snapshots of it, oldest first; and the CLI pointed at both.</summary>
    private async Task<(List<Snapshot> Snapshots, CliRunner Cli)> BackedUpAsync(int count)
    {
        var database = await pg.CreateDatabaseAsync("damaged");
        var context = TestConfig.Context(_dir, pg.Url(database));
        await new InitOperation(context).RunAsync(null, _dir.Path, Ct);
        var snapshots = new List<Snapshot>();
        for (var i = 0; i < count; i++)
        {
            // Each backup has rows of its own, so each snapshot has chunks only it references.
            await pg.ExecuteAsync(database, $"DROP TABLE IF EXISTS t; CREATE TABLE t (id int, v text); " +
                                            $"INSERT INTO t SELECT g, md5((g * {i + 7})::text) FROM generate_series(1, 20000) g;");
            snapshots.Add((await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct)).Snapshot);
        }
        await File.WriteAllTextAsync(_dir.Combine("bulwark.yml"), $"""
            repository: {RepositoryPath}
            postgres:
              url: {pg.Url(database, withPassword: false)}
            cleanup:
              grace-period: 0s
              clock-skew: 1s
            retention:
              keep-last: 1
            """, Ct);
        return (snapshots, new CliRunner(_dir.Path).With("PGPASSWORD", pg.Server.Password));
    }

    private string ManifestPath(Snapshot snapshot) => Path.Combine(RepositoryPath, RepositoryLayout.SnapshotName(snapshot.Id));

    private async Task FlipABitAsync(Snapshot snapshot)
    {
        var path = ManifestPath(snapshot);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[bytes.Length / 2] ^= 0x08;
        await File.WriteAllBytesAsync(path, bytes, Ct);
    }

    private List<string> ChunkFiles(Snapshot snapshot) =>
        snapshot.Manifest.Streams.SelectMany(s => s.Chunks).Select(c => c.Id).Distinct()
            .Select(id => Path.Combine(RepositoryPath, RepositoryLayout.ChunkName(id))).ToList();

    private static void AssertExit(int expected, CliResult result)
    {
        Assert.True(result.ExitCode == expected, result.ToString());
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task OneDamagedOldManifest_DoesNotStopBackupListShowOrRestore_AndIsNamed()
    {
        var (snapshots, cli) = await BackedUpAsync(3);
        var damaged = snapshots[0];
        await FlipABitAsync(damaged);

        var backup = await cli.RunAsync("backup", "--json");
        AssertExit(0, backup);
        Assert.Contains($"snapshot {damaged.ShortId} is left out", backup.Stderr);
        string newest;
        using (var document = JsonDocument.Parse(backup.Stdout))
            newest = document.RootElement.GetProperty("snapshot").GetString()!;

        var list = await cli.RunAsync("list");
        AssertExit(0, list);
        Assert.Contains(snapshots[1].ShortId, list.Stdout);
        Assert.Contains(snapshots[2].ShortId, list.Stdout);
        Assert.Contains("3 snapshots in", list.Stdout);
        Assert.Contains($"and 1 whose manifest cannot be read: {damaged.ShortId}", list.Stdout);
        Assert.Contains($"snapshots/{damaged.Id}", list.Stderr);

        var json = await cli.RunAsync("list", "--json");
        AssertExit(0, json);
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            var listed = document.RootElement.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("id").GetString()).ToList();
            Assert.Equal([snapshots[1].Id.ToString(), snapshots[2].Id.ToString(), newest], listed);
            var unreadable = Assert.Single(document.RootElement.GetProperty("unreadable").EnumerateArray());
            Assert.Equal(damaged.Id.ToString(), unreadable.GetProperty("id").GetString());
            Assert.Contains("damaged", unreadable.GetProperty("error").GetString());
        }

        var show = await cli.RunAsync("show", "latest");
        AssertExit(0, show);
        Assert.Contains($"snapshot   {newest}", show.Stdout);

        var restored = _dir.Combine("latest.dump");
        var restore = await cli.RunAsync("restore", "latest", "--to-file", restored);
        AssertExit(0, restore);
        Assert.True(new FileInfo(restored).Length > 0);

        // Where that snapshot itself is asked for, it fails as damaged data does.
        var showDamaged = await cli.RunAsync("show", damaged.ShortId);
        AssertExit(10, showDamaged);
        Assert.Contains($"snapshots/{damaged.Id}", showDamaged.Stderr);
        AssertExit(10, await cli.RunAsync("restore", damaged.ShortId, "--to-file", _dir.Combine("damaged.dump")));
        Assert.False(File.Exists(_dir.Combine("damaged.dump")));
        var verify = await cli.RunAsync("verify");
        AssertExit(10, verify);
        Assert.Contains($"snapshots/{damaged.Id}", verify.Stdout);
    }

    [Fact]
    public async Task AManifestDamagedAfterListCachedItsSummary_IsStillNamedByList()
    {
        var (snapshots, cli) = await BackedUpAsync(2);
        AssertExit(0, await cli.RunAsync("list"));
        Assert.Single(Directory.GetFiles(_dir.Combine(".state"), "snapshots-*.jsonl", SearchOption.AllDirectories));
        var damaged = snapshots[0];
        await FlipABitAsync(damaged);

        var list = await cli.RunAsync("list");
        AssertExit(0, list);
        Assert.Contains(snapshots[1].ShortId, list.Stdout);
        Assert.Contains("1 snapshot in", list.Stdout);
        Assert.Contains($"and 1 whose manifest cannot be read: {damaged.ShortId}", list.Stdout);
        Assert.Contains($"snapshots/{damaged.Id}", list.Stderr);

        var json = await cli.RunAsync("list", "--json");
        AssertExit(0, json);
        using var document = JsonDocument.Parse(json.Stdout);
        var listed = Assert.Single(document.RootElement.GetProperty("snapshots").EnumerateArray());
        Assert.Equal(snapshots[1].Id.ToString(), listed.GetProperty("id").GetString());
        var unreadable = Assert.Single(document.RootElement.GetProperty("unreadable").EnumerateArray());
        Assert.Equal(damaged.Id.ToString(), unreadable.GetProperty("id").GetString());
        Assert.Equal($"snapshots/{damaged.Id}", unreadable.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Cleanup_ForgetsAmongReadableSnapshots_DeletesNoChunk_AndSaysWhy_ThenCollectsOnceTheManifestIsSetAside()
    {
        var (snapshots, cli) = await BackedUpAsync(3);
        var damaged = snapshots[0];
        var onlyItsChunks = ChunkFiles(damaged).Except(ChunkFiles(snapshots[1])).Except(ChunkFiles(snapshots[2])).ToList();
        var onlyForgottenChunks = ChunkFiles(snapshots[1]).Except(ChunkFiles(damaged)).Except(ChunkFiles(snapshots[2])).ToList();
        Assert.NotEmpty(onlyItsChunks);
        Assert.NotEmpty(onlyForgottenChunks);
        await FlipABitAsync(damaged);
        var chunksBefore = ChunkObjects();

        var dry = await cli.RunAsync("cleanup", "--dry-run");
        AssertExit(0, dry);
        Assert.Contains($"warning: garbage collection skipped: 1 unreadable manifest (snapshots/{damaged.Id})", dry.Stderr);
        Assert.True(File.Exists(ManifestPath(snapshots[1])));

        // Retention (keep-last 1) runs among the two snapshots that read: it forgets the older; the damaged one stays,
        // and so does every chunk, those only the damaged manifest knows of among them.
        var cleanup = await cli.RunAsync("cleanup");
        AssertExit(0, cleanup);
        Assert.Contains($"warning: garbage collection skipped: 1 unreadable manifest (snapshots/{damaged.Id})", cleanup.Stderr);
        Assert.Contains("set them aside, see 'A damaged manifest' in docs/RUNBOOK.md", cleanup.Stderr);
        Assert.Contains($"1 unreadable (never removed): {damaged.ShortId}", cleanup.Stdout);
        Assert.Contains("chunks: none deleted (garbage collection skipped, see the warning)", cleanup.Stdout);
        Assert.True(File.Exists(ManifestPath(damaged)));
        Assert.False(File.Exists(ManifestPath(snapshots[1])));
        Assert.True(File.Exists(ManifestPath(snapshots[2])));
        Assert.Equal(chunksBefore, ChunkObjects());

        var json = await cli.RunAsync("cleanup", "--json");
        AssertExit(0, json);
        using (var document = JsonDocument.Parse(json.Stdout))
        {
            Assert.Contains("garbage collection skipped", document.RootElement.GetProperty("sweepSkipped").GetString());
            var unreadable = Assert.Single(document.RootElement.GetProperty("unreadable").EnumerateArray());
            Assert.Equal(damaged.Id.ToString(), unreadable.GetProperty("id").GetString());
        }
        var log = await cli.RunAsync("log", "--json");
        AssertExit(0, log);
        Assert.Contains("garbage collection skipped", log.Stdout);
        Assert.Equal(chunksBefore, ChunkObjects());

        // The runbook's remedy: move the manifest out of snapshots/; the next cleanup collects what only it and the
        // forgotten snapshot referenced.
        Directory.CreateDirectory(_dir.Combine("quarantine"));
        File.Move(ManifestPath(damaged), _dir.Combine("quarantine", damaged.Id.ToString()));
        // Older than the clock-skew margin around the listing, however fast the commands above ran.
        foreach (var chunk in ChunkObjects())
            File.SetLastWriteTimeUtc(chunk, DateTime.UtcNow.AddHours(-1));
        var again = await cli.RunAsync("cleanup");
        AssertExit(0, again);
        Assert.DoesNotContain("garbage collection skipped", again.Stderr);
        Assert.All(onlyItsChunks.Concat(onlyForgottenChunks), f => Assert.False(File.Exists(f), f));
        Assert.All(ChunkFiles(snapshots[2]), f => Assert.True(File.Exists(f), f));
        AssertExit(0, await cli.RunAsync("verify"));
    }

    private List<string> ChunkObjects() =>
        Directory.EnumerateFiles(Path.Combine(RepositoryPath, "chunks"), "*", SearchOption.AllDirectories).Order().ToList();

    [Fact]
    public async Task DamagedProofRecord_DoesNotStopListOrShow_AndIsNamed()
    {
        var (snapshots, cli) = await BackedUpAsync(1);
        AssertExit(0, await cli.RunAsync("verify", "--read-data")); // records a proof event
        var proof = Assert.Single(Directory.EnumerateFiles(Path.Combine(RepositoryPath, "events", "proofs")));
        var bytes = await File.ReadAllBytesAsync(proof, Ct);
        bytes[bytes.Length / 2] ^= 0x04;
        await File.WriteAllBytesAsync(proof, bytes, Ct);

        var list = await cli.RunAsync("list");
        AssertExit(0, list);
        Assert.Contains(snapshots[0].ShortId, list.Stdout);
        Assert.Contains($"event events/proofs/{Path.GetFileName(proof)} is left out", list.Stderr);
        AssertExit(0, await cli.RunAsync("show", "latest"));
    }

    [Fact]
    public async Task GarbageInLocks_DoesNotBlockABackup_IsKeptWhileFresh_AndRemovedOnceNothingWroteItFor30Minutes()
    {
        var (_, cli) = await BackedUpAsync(1);
        var garbage = Path.Combine(RepositoryPath, "locks", "0123456789abcdef0123456789abcdef");
        await File.WriteAllBytesAsync(garbage, [0x01, 0xff, 0x00, 0x42, 0x13], Ct);

        AssertExit(0, await cli.RunAsync("backup"));
        Assert.True(File.Exists(garbage)); // it may be a lock still being written
        var unlock = await cli.RunAsync("unlock");
        AssertExit(0, unlock);
        Assert.Contains("kept active lock: unreadable lock object locks/0123456789abcdef0123456789abcdef", unlock.Stdout);
        Assert.True(File.Exists(garbage));

        // Its object's time is all there is to go by.
        File.SetLastWriteTimeUtc(garbage, DateTime.UtcNow.AddMinutes(-31));
        var backup = await cli.RunAsync("backup");
        AssertExit(0, backup);
        Assert.Contains("warning: removed unreadable lock object locks/0123456789abcdef0123456789abcdef", backup.Stderr);
        Assert.False(File.Exists(garbage));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(RepositoryPath, "locks")));

        await File.WriteAllBytesAsync(garbage, [0x01, 0xff, 0x00, 0x42, 0x13], Ct);
        unlock = await cli.RunAsync("unlock", "--all");
        AssertExit(0, unlock);
        Assert.Contains("removed lock: unreadable lock object locks/0123456789abcdef0123456789abcdef", unlock.Stdout);
        Assert.False(File.Exists(garbage));
    }
}
