using Bulwark.Operations.Backup;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Restore;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Physical;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Restore;

/// <summary>
/// Point-in-time recovery against a real server that archives its WAL: base backups with 'backup --physical', then
/// 'restore --to-dir' to a time, a WAL position, a restore point or the end, started and read back.
/// </summary>
public sealed class PhysicalRestoreTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BackupResult> BaseBackupAsync(Bulwark.Operations.BulwarkContext context, string? source = null) =>
        new BackupOperation(context).RunAsync(new BackupRequest { Physical = true, Source = source }, null, Ct);

    private static Task<PhysicalRestoreResult> RestoreAsync(Bulwark.Operations.BulwarkContext context, ArchivingServer archive,
        string directory, RecoveryTarget target, string? snapshot = null, bool start = true, string? timeline = null) =>
        new PhysicalRestoreOperation(context).RunAsync(new PhysicalRestoreRequest
        {
            Snapshot = snapshot,
            Directory = directory,
            Target = target,
            Timeline = timeline,
            Start = start,
            RestoreCommand = archive.RestoreCommand,
        }, null, Ct);

    /// <summary>
    /// Starts a folder restored without --start as its user would (pg_ctl on its own configuration, archiving as the
    /// copied archive_command says), on a port of its own, and waits for the end of recovery.
    /// </summary>
    private static async Task<(int Port, int Timeline)> StartYourselfAsync(string directory)
    {
        var server = await RecoveryServer.StartAsync(directory, Path.Combine(Path.GetTempPath(), $"bulwark-{Guid.NewGuid():N}"[..20]),
            null, "127.0.0.1", new Dictionary<string, string>(), null, TimeProvider.System, Ct);
        await using var _ = server;
        var outcome = await server.WaitForRecoveryAsync("postgres", Ct);
        await server.RestoreAuthenticationAsync(Ct);
        server.Detach();
        return (server.Port, outcome.Timeline);
    }

    [Fact]
    public async Task RestoreToTime_LandsBetweenTwoBatches_AndTheDrillFindsItClean()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        await server.ExecuteAsync("CREATE TABLE batches (id int PRIMARY KEY, batch int NOT NULL, body text)");
        var backup = await BaseBackupAsync(context);

        var physical = backup.Snapshot.Manifest.Physical;
        Assert.NotNull(physical);
        Assert.Equal(SnapshotManifest.PhysicalKind, backup.Snapshot.Manifest.Kind);
        Assert.Equal(1, physical.Timeline);
        Assert.True(Lsn.Parse(physical.StopLsn) > Lsn.Parse(physical.StartLsn));
        Assert.Equal(Lsn.Parse(physical.StartLsn).SegmentFileName(1, physical.WalSegmentSize), physical.StartWalFile);
        Assert.Equal(await ArchivingServer.ScalarAsync<long>(server.Url(), "SELECT system_identifier FROM pg_control_system()"),
            long.Parse(physical.SystemIdentifier, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("START WAL LOCATION", physical.BackupLabel);
        Assert.Contains(backup.Snapshot.Manifest.Streams, s => s.Name == "pgdata/global/pg_control" && s.Size == 8192);
        Assert.Contains(backup.Snapshot.Manifest.Streams, s => s.Name == "pgdata/backup_manifest");

        await server.ExecuteAsync("INSERT INTO batches SELECT g, 1, md5(g::text) FROM generate_series(1, 1000) g");
        var between = await ArchivingServer.ScalarAsync<DateTime>(server.Url(), "SELECT clock_timestamp()");
        await server.ExecuteAsync("INSERT INTO batches SELECT g, 2, md5(g::text) FROM generate_series(1001, 2000) g");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        var target = dir.Combine("restored");
        var restored = await RestoreAsync(context, server, target, RecoveryTarget.AtTime(new DateTimeOffset(between, TimeSpan.Zero)));
        Assert.Equal(backup.Snapshot.ShortId, restored.Snapshot);
        Assert.NotNull(restored.Server);
        var url = server.Restored(target, restored.Server.Port);
        Assert.Equal(1000L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 1"));
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 2"));
        Assert.False(await ArchivingServer.ScalarAsync<bool>(url, "SELECT pg_is_in_recovery()"));
        Assert.Equal(2, restored.Server.Timeline);
        Assert.Equal("700", Convert.ToString((int)File.GetUnixFileMode(target), 8));
        Assert.Contains("recovery_target_action = 'promote'", await File.ReadAllTextAsync(Path.Combine(target, "postgresql.auto.conf"), Ct));

        // The same point, drilled: recovered on a throwaway server and checked with pg_amcheck, recorded as a proof.
        var drill = await new DrillOperation(context).RunAsync(new DrillRequest
        {
            Snapshot = backup.Snapshot.ShortId,
            ToTime = new DateTimeOffset(between, TimeSpan.Zero),
            RestoreCommand = server.RestoreCommand,
        }, null, Ct);
        Assert.True(drill.Passed, string.Join("; ", drill.Differences));
        Assert.True(drill.Physical);
        Assert.Contains(drill.Notes, n => n.Contains("pg_amcheck --heapallindexed found no corruption", StringComparison.Ordinal));
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var proofs = await repository.ReadEventsAsync<ProofRecord>(RepositoryLayout.ProofEvents, Ct);
        var proof = Assert.Single(proofs, p => p.Snapshot == backup.Snapshot.Id.ToString());
        Assert.True(proof.Passed);
        Assert.Equal("clean", proof.Details!["amcheck"]);
        Assert.True(proof.Details.ContainsKey("recoverySeconds"));
    }

    [Fact]
    public async Task RestoreToLsnAndToName_StopExactlyThere()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        await server.ExecuteAsync("CREATE TABLE steps (step text PRIMARY KEY)");
        await BaseBackupAsync(context);
        await server.ExecuteAsync("INSERT INTO steps VALUES ('a')");
        await server.ExecuteAsync("SELECT pg_create_restore_point('after a')");
        await server.ExecuteAsync("INSERT INTO steps VALUES ('b')");
        var afterB = await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_current_wal_insert_lsn()::text");
        await server.ExecuteAsync("INSERT INTO steps VALUES ('c')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        var byLsn = await RestoreAsync(context, server, dir.Combine("by-lsn"), RecoveryTarget.AtLsn(Lsn.Parse(afterB)), "latest");
        Assert.Equal("a,b", await ArchivingServer.ScalarAsync<string>(server.Restored(dir.Combine("by-lsn"), byLsn.Server!.Port),
            "SELECT string_agg(step, ',' ORDER BY step) FROM steps"));
        Assert.True(Lsn.Parse(byLsn.Server.ReachedLsn!) >= Lsn.Parse(afterB));

        // The first restore promoted onto timeline 2 but archived nothing (a copy started to look at): the restore
        // point is found on timeline 1.
        var byName = await RestoreAsync(context, server, dir.Combine("by-name"), RecoveryTarget.AtName("after a"), "latest");
        Assert.Equal("a", await ArchivingServer.ScalarAsync<string>(server.Restored(dir.Combine("by-name"), byName.Server!.Port),
            "SELECT string_agg(step, ',' ORDER BY step) FROM steps"));
    }

    [Fact]
    public async Task PromotedRestore_ArchivesTimeline2_AndIsItselfRecovered()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir, encrypt: true);
        await server.ExecuteAsync("CREATE TABLE history (what text)");
        var original = await BaseBackupAsync(context);
        await server.ExecuteAsync("INSERT INTO history VALUES ('on timeline 1')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        // Restored to the end without --start (a new production server), started by its user, promoted: timeline 2,
        // archived by the copied archive_command into the same archive.
        var first = dir.Combine("first");
        var restored = await RestoreAsync(context, server, first, RecoveryTarget.End, start: false);
        Assert.Null(restored.Server);
        var conf = await File.ReadAllTextAsync(Path.Combine(first, "postgresql.auto.conf"), Ct);
        Assert.DoesNotContain("archive_mode", conf[conf.IndexOf("written by 'bulwark restore", StringComparison.Ordinal)..]);
        var (port, timeline) = await StartYourselfAsync(first);
        Assert.Equal(2, timeline);
        var firstUrl = server.Restored(first, port);
        await ArchivingServer.ExecuteAsync(firstUrl, "INSERT INTO history VALUES ('on timeline 2')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(firstUrl);
        Assert.True(File.Exists(Path.Combine(server.Archive, "00000002.history")));

        // A base backup of the promoted server, more writes, and a recovery of that backup to the end.
        var second = await BaseBackupAsync(context, firstUrl);
        Assert.Equal(2, second.Snapshot.Manifest.Physical!.Timeline);
        await ArchivingServer.ExecuteAsync(firstUrl, "INSERT INTO history VALUES ('after the second base backup')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(firstUrl);

        var again = dir.Combine("again");
        var recovered = await RestoreAsync(context, server, again, RecoveryTarget.End, second.Snapshot.ShortId);
        Assert.Equal(3, recovered.Server!.Timeline);
        Assert.Equal("after the second base backup,on timeline 1,on timeline 2", await ArchivingServer.ScalarAsync<string>(
            server.Restored(again, recovered.Server.Port), "SELECT string_agg(what, ',' ORDER BY what) FROM history"));

        // The old server went on on timeline 1: --timeline 1 recovers along it, past the branch of timeline 2.
        await server.ExecuteAsync("INSERT INTO history VALUES ('old server after the branch')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());
        var old = dir.Combine("old");
        var along = await RestoreAsync(context, server, old, RecoveryTarget.End, original.Snapshot.ShortId, timeline: "1");
        Assert.Equal("1", along.RecoveryTimeline);
        Assert.Contains("recovery_target_timeline = '1'", await File.ReadAllTextAsync(Path.Combine(old, "postgresql.auto.conf"), Ct));
        Assert.Equal("old server after the branch,on timeline 1", await ArchivingServer.ScalarAsync<string>(
            server.Restored(old, along.Server!.Port), "SELECT string_agg(what, ',' ORDER BY what) FROM history"));
    }

    [Fact]
    public async Task StartedCopy_ArchivesNothing_SoARestoreToTheEndStillFollowsTheProductionTimeline()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        await server.ExecuteAsync("CREATE TABLE history (what text)");
        await BaseBackupAsync(context);
        await server.ExecuteAsync("INSERT INTO history VALUES ('production, before the copy')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        // A copy to look at: promoted onto timeline 2, written to, its segment switched; it archives none of it.
        var look = dir.Combine("look");
        var copy = await RestoreAsync(context, server, look, RecoveryTarget.End);
        Assert.False(copy.Server!.Archiving);
        Assert.Equal(2, copy.Server.Timeline);
        var lookUrl = server.Restored(look, copy.Server.Port);
        Assert.Equal("off", await ArchivingServer.ScalarAsync<string>(lookUrl, "SHOW archive_mode"));
        await ArchivingServer.ExecuteAsync(lookUrl, "INSERT INTO history VALUES ('the copy only')");
        await ArchivingServer.ExecuteAsync(lookUrl, "SELECT pg_switch_wal()");

        // Production goes on on timeline 1; the end of the archive is still its end.
        await server.ExecuteAsync("INSERT INTO history VALUES ('production, after the copy')");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());
        Assert.Empty(Directory.EnumerateFiles(server.Archive, "00000002*"));
        var end = dir.Combine("end");
        var recovered = await RestoreAsync(context, server, end, RecoveryTarget.End);
        Assert.Equal(2, recovered.Server!.Timeline);
        Assert.Equal("production, after the copy,production, before the copy", await ArchivingServer.ScalarAsync<string>(
            server.Restored(end, recovered.Server.Port), "SELECT string_agg(what, ',' ORDER BY what) FROM history"));
    }

    [Fact]
    public async Task StartedCopy_OfABackupTakenByAReplicationRole_ComesUpWithTheCopiedHbaRulesAlone()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        await server.ExecuteAsync("CREATE ROLE backup LOGIN REPLICATION PASSWORD 'backup-secret'");
        // The copied rules ask for a password on the socket too: initdb's 'local all all trust' would hide whether
        // Bulwark's own password-less rule is still in force after recovery.
        var hba = Path.Combine(server.Server.DataDirectory, "pg_hba.conf");
        var rules = (await File.ReadAllLinesAsync(hba, Ct))
            .Select(l => l.StartsWith("local", StringComparison.Ordinal) ? System.Text.RegularExpressions.Regex.Replace(l, @"trust\s*$", "scram-sha-256") : l)
            .ToList();
        Assert.Contains(rules, l => l.StartsWith("local", StringComparison.Ordinal) && l.EndsWith("scram-sha-256", StringComparison.Ordinal));
        await File.WriteAllLinesAsync(hba, rules, Ct);
        var backupUrl = $"postgres://backup:backup-secret@127.0.0.1:{server.Server.Port}/postgres";
        var backup = await BaseBackupAsync(context, backupUrl);
        Assert.Equal("backup", backup.Snapshot.Manifest.Source.User);

        // Bulwark waits for recovery as the snapshot's user, a REPLICATION role that may not call pg_reload_conf().
        var target = dir.Combine("restored");
        var restored = await RestoreAsync(context, server, target, RecoveryTarget.End);
        var started = restored.Server!;
        server.Restored(target, started.Port);
        Assert.Contains("-U backup", started.Connect);
        Assert.Equal("backup", await ArchivingServer.ScalarAsync<string>(
            $"postgres://backup:backup-secret@127.0.0.1:{started.Port}/postgres", "SELECT current_user::text"));
        // The socket no longer lets anyone in without the password: the copied rules alone are in force.
        var socket = new Npgsql.NpgsqlConnectionStringBuilder
        {
            Host = started.SocketDirectory, Port = started.Port, Username = "backup", Password = "wrong", Database = "postgres", Pooling = false,
        };
        await using var connection = new Npgsql.NpgsqlConnection(socket.ConnectionString);
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => connection.OpenAsync(Ct));
        Assert.Equal("28P01", refused.SqlState);
    }

    [Fact]
    public async Task SecondBaseBackup_AfterOnePercentOfRowsChanged_StoresLittle()
    {
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var context = await server.ContextAsync(dir);
        await server.ExecuteAsync("""
            CREATE TABLE rows (id int PRIMARY KEY, body text NOT NULL);
            INSERT INTO rows SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 400000) g;
            CHECKPOINT;
            """);
        var first = await BaseBackupAsync(context);
        // One row in a hundred, the newest ones, as an application that mostly appends and edits recent rows does.
        await server.ExecuteAsync("UPDATE rows SET body = upper(body) WHERE id > 396000; CHECKPOINT;");
        var second = await BaseBackupAsync(context);

        var firstStats = first.Snapshot.Manifest.Statistics!;
        var secondStats = second.Snapshot.Manifest.Statistics!;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"first: {first.Snapshot.Manifest.TotalSize} bytes, stored {firstStats.StoredBytes}; second: new {secondStats.NewBytes}, stored {secondStats.StoredBytes}, reused {secondStats.ReusedBytes}");
        Assert.True(first.Snapshot.Manifest.TotalSize > 40_000_000, $"{first.Snapshot.Manifest.TotalSize}");
        // Only the chunks around the changed pages, the index pages they moved and the WAL segment are new.
        Assert.True(secondStats.StoredBytes < firstStats.StoredBytes / 4, $"second stored {secondStats.StoredBytes} of {firstStats.StoredBytes}");
        Assert.True(secondStats.ReusedBytes > 0);
    }

    [Fact]
    public async Task RestoreToDir_RefusesANonEmptyFolder_AndALogicalSnapshot()
    {
        using var dir = new TempDirectory();
        var context = await TestRepository.CreateAsync(dir);
        var busy = dir.Combine("busy");
        Directory.CreateDirectory(busy);
        await File.WriteAllTextAsync(Path.Combine(busy, "PG_VERSION"), "15\n", Ct);
        var refused = await Assert.ThrowsAsync<BulwarkException>(() => new PhysicalRestoreOperation(context).RunAsync(
            new PhysicalRestoreRequest { Directory = busy }, null, Ct));
        Assert.Equal(ErrorKind.Refused, refused.Kind);
        Assert.Equal("15\n", await File.ReadAllTextAsync(Path.Combine(busy, "PG_VERSION"), Ct));

        var none = await Assert.ThrowsAsync<BulwarkException>(() => new PhysicalRestoreOperation(context).RunAsync(
            new PhysicalRestoreRequest { Directory = dir.Combine("new") }, null, Ct));
        Assert.Equal(ErrorKind.Usage, none.Kind);
        Assert.Contains("no base backup", none.Message);
    }
}
