using Bulwark.Operations.Backup;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Physical;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Operations.Restore;

namespace Bulwark.Tests.Sources.Postgres.Physical;

/// <summary>
/// A base backup of a real server, catalog files of a few KiB beside a table file of several MiB: the snapshot lists
/// every file once, in the server's order, each with its own content.
/// </summary>
public sealed class PhysicalBackupTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BaseBackup_KeepsTheServersOrder_AndWritesSmallAndLargeFilesBackWhole()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        // A table file of several chunks, beside the catalog's small files.
        await server.ExecuteAsync("""
            CREATE TABLE big (id int PRIMARY KEY, body text NOT NULL);
            INSERT INTO big SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 60000) g;
            """);
        await server.ExecuteAsync("VACUUM FREEZE big");
        await server.ExecuteAsync("CHECKPOINT");
        var bigPath = await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_relation_filepath('big')");
        var bigSize = new FileInfo(Path.Combine(server.Server.DataDirectory, bigPath)).Length;
        Assert.True(bigSize > 4 << 20, $"{bigSize}");

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest { Physical = true }, null, Ct);

        var manifest = backup.Snapshot.Manifest;
        var files = manifest.Physical!.Files.Where(f => f.Type == PhysicalFileEntry.FileType).Select(f => f.Path).ToList();
        Assert.True(files.Count > 100, $"{files.Count} files");
        Assert.Equal(files.Select(f => PhysicalBackupInfo.StreamPrefix + f), manifest.Streams.Select(s => s.Name));
        Assert.Equal(bigSize, manifest.Streams.Single(s => s.Name == PhysicalBackupInfo.StreamPrefix + bigPath).Size);
        Assert.Equal(manifest.Source.DatabaseSize, manifest.Streams.Sum(s => s.Size));

        // Written back, each file is checked against its SHA-256 and has its recorded length.
        var target = dir.Combine("restored");
        var repository = await context.OpenRepositoryAsync(Ct);
        await using (repository)
            await DataDirectoryWriter.WriteAsync(repository, backup.Snapshot, target, null, Ct);
        foreach (var stream in manifest.Streams)
            Assert.Equal(stream.Size, new FileInfo(Path.Combine(target, stream.Name[PhysicalBackupInfo.StreamPrefix.Length..])).Length);
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(server.Server.DataDirectory, "PG_VERSION"), Ct),
            await File.ReadAllTextAsync(Path.Combine(target, "PG_VERSION"), Ct));
        Assert.Contains("START WAL LOCATION", await File.ReadAllTextAsync(Path.Combine(target, BackupLabel.FileName), Ct));
    }
}
