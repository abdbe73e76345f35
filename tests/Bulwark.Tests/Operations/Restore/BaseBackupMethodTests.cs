using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Restore;
using Bulwark.Repository.Streams;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Physical;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Restore;

/// <summary>
/// The two ways a base backup reads a cluster: straight from the data folder when the server runs on this machine,
/// and through pg_basebackup otherwise. Both make the same snapshot: a folder pg_verifybackup accepts, that starts.
/// </summary>
public sealed class BaseBackupMethodTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A context on the repository of <paramref name="dir"/> (made on first use).</summary>
    private static async Task<BulwarkContext> ContextAsync(ArchivingServer server, TempDirectory dir, string method, string? url = null)
    {
        if (!Directory.Exists(dir.Combine("repo")))
            await server.ContextAsync(dir);
        return new BulwarkContext(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = dir.Combine("repo"),
            State = dir.Combine("state"),
            Postgres = new PostgresConfig { Url = url ?? server.Url() },
            Backup = new BackupConfig { PhysicalMethod = method },
        }, dir.Path, _ => null));
    }

    private static Task<BackupResult> BaseBackupAsync(BulwarkContext context, int jobs = 1) =>
        new BackupOperation(context).RunAsync(new BackupRequest { Physical = true, Jobs = jobs }, null, Ct);

    /// <summary>Restores <paramref name="backup"/> into <paramref name="directory"/> to the end of the archive, started or not.</summary>
    private static Task<PhysicalRestoreResult> RestoreToEndAsync(BulwarkContext context, ArchivingServer server, BackupResult backup,
        string directory, bool start) =>
        new PhysicalRestoreOperation(context).RunAsync(new PhysicalRestoreRequest
        {
            Snapshot = backup.Snapshot.ShortId, Directory = directory, Target = RecoveryTarget.End, Start = start, RestoreCommand = server.RestoreCommand,
        }, null, Ct);

    [Fact]
    public async Task DirectRead_LeavesOutWhatTheServerRecreates_AndRestoresAFolderThatPgVerifybackupAccepts()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await ContextAsync(server, dir, "direct");
        await server.ExecuteAsync("CREATE TABLE kept (id int PRIMARY KEY, body text)");
        await server.ExecuteAsync("INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
        await server.ExecuteAsync("CREATE UNLOGGED TABLE scratch (id int)");
        await server.ExecuteAsync("INSERT INTO scratch SELECT generate_series(1, 5000)");
        await server.ExecuteAsync("CHECKPOINT");
        var unlogged = await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_relation_filepath('scratch')");
        // A temporary file of a sort, as a query spilling to disk leaves it.
        var spill = Path.Combine(server.Server.DataDirectory, "base", "pgsql_tmp");
        Directory.CreateDirectory(spill);
        await File.WriteAllTextAsync(Path.Combine(spill, "pgsql_tmp999.0"), "spilled rows", Ct);

        // Two files read at once.
        var backup = await BaseBackupAsync(context, jobs: 2);

        var manifest = backup.Snapshot.Manifest;
        Assert.Equal(["bulwark", "pg_backup_start"], manifest.Tools.Keys.Order(StringComparer.Ordinal));
        var physical = manifest.Physical!;
        var files = physical.Files.ToDictionary(f => f.Path, StringComparer.Ordinal);
        Assert.DoesNotContain("postmaster.pid", files.Keys);
        Assert.DoesNotContain("postmaster.opts", files.Keys);
        Assert.DoesNotContain(files.Keys, f => f.Contains("pgsql_tmp", StringComparison.Ordinal));
        Assert.DoesNotContain(files.Keys, f => f.StartsWith("pg_replslot/", StringComparison.Ordinal));
        Assert.Equal(PhysicalFileEntry.DirectoryType, files["pg_replslot"].Type);
        Assert.Equal(PhysicalFileEntry.DirectoryType, files["pg_wal/archive_status"].Type);
        Assert.DoesNotContain(unlogged, files.Keys);
        Assert.Contains(unlogged + "_init", files.Keys);
        Assert.Equal("global/pg_control", physical.Files.Last(f => !f.Path.StartsWith("pg_wal/", StringComparison.Ordinal) &&
                                                                  f.Path is not (BackupLabel.FileName or "tablespace_map" or PhysicalBackup.ManifestFileName)).Path);
        Assert.Contains($"pg_wal/{physical.StartWalFile}", files.Keys);
        Assert.Contains($"pg_wal/archive_status/{physical.StartWalFile}.done", files.Keys);
        Assert.Equal(physical.BackupLabel, await ReadStreamAsync(context, backup, BackupLabel.FileName));
        Assert.Contains("BACKUP METHOD: streamed", physical.BackupLabel);
        // The temporary slot that kept the WAL is gone with the backup.
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(server.Url(), "SELECT count(*) FROM pg_replication_slots"));

        var target = dir.Combine("restored");
        await RestoreToEndAsync(context, server, backup, target, start: false);
        var verify = await RunAsync((await new PgTools(null).FindAsync("pg_verifybackup", null, Ct)).Path, target);
        Assert.True(verify.Code == 0, verify.Output);
        Assert.False(File.Exists(Path.Combine(target, unlogged)));

        await server.ExecuteAsync("INSERT INTO kept VALUES (5001, 'after the backup')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());
        var started = await RestoreToEndAsync(context, server, backup, dir.Combine("started"), start: true);
        var url = server.Restored(dir.Combine("started"), started.Server!.Port);
        Assert.Equal(5001L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM kept"));
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM scratch"));
    }

    [Fact]
    public async Task AUserWhoCannotReadTheFolder_StreamsThroughPgBasebackup_IntoTheSameFiles_OrIsRefusedWhenDirectIsRequired()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        await server.ExecuteAsync("CREATE TABLE kept (id int PRIMARY KEY, body text)");
        await server.ExecuteAsync("INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 5000) g");
        await server.ExecuteAsync("VACUUM FREEZE kept");
        await server.ExecuteAsync("CREATE ROLE streamer LOGIN REPLICATION PASSWORD 'streamer secret'");
        var relation = "pgdata/" + await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_relation_filepath('kept')");
        // Not a superuser nor pg_read_all_settings: it may not learn where the data folder is.
        var streamer = $"postgres://streamer:{Uri.EscapeDataString("streamer secret")}@127.0.0.1:{server.Server.Port}/postgres";

        var requireDirect = await ContextAsync(server, dir, "direct", streamer);
        var refused = await Assert.ThrowsAsync<BulwarkException>(() => BaseBackupAsync(requireDirect));
        Assert.Equal(ErrorKind.Refused, refused.Kind);
        Assert.Contains("data_directory", refused.Message);

        var requireStream = await ContextAsync(server, dir, "pg_basebackup");
        var oneConnection = await Assert.ThrowsAsync<BulwarkException>(() => BaseBackupAsync(requireStream, jobs: 2));
        Assert.Equal(ErrorKind.Usage, oneConnection.Kind);

        var streamed = await BaseBackupAsync(await ContextAsync(server, dir, "auto", streamer));
        Assert.Contains("pg_basebackup", streamed.Snapshot.Manifest.Tools.Keys);
        var direct = await BaseBackupAsync(await ContextAsync(server, dir, "auto"));
        Assert.Contains("pg_backup_start", direct.Snapshot.Manifest.Tools.Keys);

        // The same relation file, read either way, is the same stream: the second backup stored none of it again.
        var first = Assert.Single(streamed.Snapshot.Manifest.Streams, s => s.Name == relation);
        var second = Assert.Single(direct.Snapshot.Manifest.Streams, s => s.Name == relation);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(first.Chunks.Select(c => c.Id), second.Chunks.Select(c => c.Id));
        var streamedFiles = streamed.Snapshot.Manifest.Physical!.Files.Where(f => !f.Path.StartsWith("pg_wal/", StringComparison.Ordinal))
            .Select(f => (f.Path, f.Type, f.Mode)).Order().ToList();
        var directFiles = direct.Snapshot.Manifest.Physical!.Files.Where(f => !f.Path.StartsWith("pg_wal/", StringComparison.Ordinal))
            .Select(f => (f.Path, f.Type, f.Mode)).Order().ToList();
        Assert.Equal(streamedFiles, directFiles);

        // The grants docs/pitr.md gives let the same role read the folder directly.
        await server.ExecuteAsync("GRANT pg_read_all_settings TO streamer");
        var withoutExecute = await Assert.ThrowsAsync<BulwarkException>(() => BaseBackupAsync(requireDirect));
        Assert.Contains("pg_backup_start", withoutExecute.Message);
        await server.ExecuteAsync("GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean), pg_backup_stop(boolean) TO streamer");
        var granted = await BaseBackupAsync(requireDirect);
        Assert.Contains("pg_backup_start", granted.Snapshot.Manifest.Tools.Keys);
        Assert.Equal("streamer", granted.Snapshot.Manifest.Source.User);

        // The streamed snapshot restores and starts as before.
        var target = dir.Combine("streamed");
        var restored = await RestoreToEndAsync(await ContextAsync(server, dir, "auto"), server, streamed, target, start: true);
        Assert.Equal(5000L, await ArchivingServer.ScalarAsync<long>(server.Restored(target, restored.Server!.Port), "SELECT count(*) FROM kept"));
    }

    [Fact]
    public async Task DirectRead_WhileRowsAreWritten_RecoversEveryCommittedRow_AndTheDrillFindsItClean()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await ContextAsync(server, dir, "direct");
        await server.ExecuteAsync("CREATE TABLE busy (id bigserial PRIMARY KEY, body text NOT NULL)");
        await server.ExecuteAsync("INSERT INTO busy (body) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 50000) g");

        // Rows committed one batch after another for as long as the backup reads the folder, pages changing under it.
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            var batches = 0;
            while (!stop.IsCancellationRequested)
            {
                await server.ExecuteAsync("INSERT INTO busy (body) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 500) g; " +
                                          "UPDATE busy SET body = body || 'x' WHERE id % 97 = 0");
                batches++;
            }
            return batches;
        }, Ct);
        await Task.Delay(200, Ct);
        var backup = await BaseBackupAsync(context);
        await stop.CancelAsync();
        Assert.True(await writer > 1);
        var rows = await ArchivingServer.ScalarAsync<long>(server.Url(), "SELECT count(*) FROM busy");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        var target = dir.Combine("restored");
        var restored = await RestoreToEndAsync(context, server, backup, target, start: true);
        Assert.Equal(rows, await ArchivingServer.ScalarAsync<long>(server.Restored(target, restored.Server!.Port), "SELECT count(*) FROM busy"));

        var drill = await new Bulwark.Operations.Drills.DrillOperation(context).RunAsync(new Bulwark.Operations.Drills.DrillRequest
        {
            Snapshot = backup.Snapshot.ShortId, RestoreCommand = server.RestoreCommand,
        }, null, Ct);
        Assert.True(drill.Passed, string.Join("; ", drill.Differences));
        Assert.Contains(drill.Notes, n => n.Contains("pg_amcheck --heapallindexed found no corruption", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DirectRead_OfAClusterWithDataChecksums_ChecksEveryPage_AndRefusesACorruptOne()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir, dataChecksums: true);
        var context = await ContextAsync(server, dir, "direct");
        Assert.Equal("on", await ArchivingServer.ScalarAsync<string>(server.Url(), "SHOW data_checksums"));
        // No autovacuum: it could write the table's pages back from memory over the damage below.
        await server.ExecuteAsync("CREATE TABLE kept (id int PRIMARY KEY, body text) WITH (autovacuum_enabled = off)");
        await server.ExecuteAsync("INSERT INTO kept SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
        await server.ExecuteAsync("VACUUM FREEZE kept");
        await server.ExecuteAsync("CHECKPOINT");

        // Every page of a clean cluster passes (the catalog's and the table's, written before the backup started).
        var clean = await BaseBackupAsync(context);
        Assert.Contains("pg_backup_start", clean.Snapshot.Manifest.Tools.Keys);

        // One byte of the table's third page changed on disk, behind the server's back.
        var relation = Path.Combine(server.Server.DataDirectory, await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_relation_filepath('kept')"));
        await using (var file = new FileStream(relation, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = 2 * 8192 + 4000;
            var original = file.ReadByte();
            file.Position = 2 * 8192 + 4000;
            file.WriteByte((byte)(original ^ 0x5A));
        }
        var refused = await Assert.ThrowsAsync<BulwarkException>(() => BaseBackupAsync(context));
        Assert.Equal(ErrorKind.Integrity, refused.Kind);
        Assert.Contains($"{await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_relation_filepath('kept')")} block 2", refused.Message);
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(server.Url(), "SELECT count(*) FROM pg_replication_slots"));
    }

    private static async Task<string> ReadStreamAsync(BulwarkContext context, BackupResult backup, string path)
    {
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var stream = backup.Snapshot.Manifest.Streams.Single(s => s.Name == PhysicalBackupInfo.StreamPrefix + path);
        using var content = new MemoryStream();
        await repository.CopyStreamAsync(stream, content, cancellationToken: Ct);
        return System.Text.Encoding.UTF8.GetString(content.ToArray());
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string folder)
    {
        var info = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(folder);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        return (process.ExitCode, await output + await error);
    }
}
