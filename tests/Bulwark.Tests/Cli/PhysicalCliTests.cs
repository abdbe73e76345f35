using System.Text.Json;
using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Operations.Restore;

using Bulwark.Tests.Cli.Commands;

namespace Bulwark.Tests.Cli;

/// <summary>Base backups through the real program: backup --physical, list and show, restore --to-dir.</summary>
public sealed class PhysicalCliTests
{
    [Fact]
    public async Task BackupPhysical_IsListedAsPhysical_AndRestoresToADataFolderThatFetchesWalWithThisProgram()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        await using var server = await ArchivingServer.StartAsync(dir);
        var cli = new CliRunner(dir.Path).With("PGPASSWORD", server.Server.Password);
        Assert.Equal(0, (await cli.RunAsync("init", "./repo")).ExitCode);

        var backup = await cli.RunAsync("backup", "--physical", "--source", server.Server.Url("postgres"), "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using (var json = JsonDocument.Parse(backup.Stdout))
        {
            Assert.Equal("physical", json.RootElement.GetProperty("kind").GetString());
            Assert.Equal(1, json.RootElement.GetProperty("timeline").GetInt32());
        }
        var list = await cli.RunAsync("list", "--json");
        using (var json = JsonDocument.Parse(list.Stdout))
            Assert.Equal("physical", Assert.Single(json.RootElement.GetProperty("snapshots").EnumerateArray()).GetProperty("kind").GetString());
        var show = await cli.RunAsync("show", "latest");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("kind       physical", show.Stdout);
        Assert.Contains("on timeline 1", show.Stdout);

        var busy = dir.Combine("busy");
        Directory.CreateDirectory(busy);
        await File.WriteAllTextAsync(Path.Combine(busy, "keep"), "x", ct);
        var refused = await cli.RunAsync("restore", "latest", "--to-dir", busy);
        Assert.True(refused.ExitCode == 9, refused.ToString());
        Assert.Contains("not empty", refused.Stderr);

        var target = dir.Combine("data with 'quote");
        var restore = await cli.RunAsync("restore", "latest", "--to-dir", target, "--to-name", "nightly");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.True(File.Exists(Path.Combine(target, "recovery.signal")));
        Assert.True(File.Exists(Path.Combine(target, "PG_VERSION")));
        var conf = await File.ReadAllTextAsync(Path.Combine(target, "postgresql.auto.conf"), ct);
        Assert.Contains("recovery_target_name = 'nightly'", conf);
        Assert.Contains("recovery_target_action = 'promote'", conf);
        // The running program, 'wal fetch', and this configuration by absolute path, each word quoted for the shell.
        var line = conf.Split('\n').Single(l => l.StartsWith("restore_command = ", StringComparison.Ordinal));
        Assert.Contains("''wal'' ''fetch'' \"%f\" \"%p\" ''--config'' ''" + dir.Combine(ConfigLoader.FileName) + "''", line);
        Assert.Contains(Path.GetFileName(CliRunner.Command[^1]) + "''", line);
    }

    [Fact]
    public async Task Pitr_WithWalPushAndFetchOfThisProgram_RestoresToATimeBetweenTwoBatches_AndDrillsClean()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var (cli, config, server) = await ArchivingAsync(dir, ct);
        await using var _ = server;
        var time = await server.TwoBatchesAsync();

        // No snapshot named: the newest base backup that ended before the time is chosen.
        var target = dir.Combine("pitr");
        var restore = await cli.RunAsync("restore", "--to-dir", target, "--to-time", time, "--start", "--config", config, "--json");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        var port = json.RootElement.GetProperty("server").GetProperty("port").GetInt32();
        var url = server.Restored(target, port);
        Assert.Equal(500L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 1"));
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 2"));

        var drill = await cli.RunAsync("test-restore", "latest", "--config", config);
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("PASSED", drill.Stdout);
        Assert.Contains("pg_amcheck --heapallindexed found no corruption", drill.Stdout);
    }

    /// <summary>
    /// The servers Bulwark starts itself (restore --start, a drill) fetch WAL from an encrypted repository with the
    /// passphrase Bulwark was given, here BULWARK_PASSWORD, which no program Bulwark starts inherits as such.
    /// </summary>
    [Fact]
    public async Task Pitr_OnAnEncryptedRepository_StartsAndDrills_WithThePassphraseOfBulwarksEnvironment()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        const string passphrase = "pitr \u00e9t\u00e9 passphrase";
        var (cli, config, server) = await ArchivingAsync(dir, ct, passphrase);
        await using var _ = server;
        await server.ExecuteAsync("INSERT INTO batches SELECT g, 1 FROM generate_series(1, 500) g");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        var target = dir.Combine("restored");
        var restore = await cli.RunAsync("restore", "--to-dir", target, "--to-end", "--start", "--config", config, "--json");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        using (var json = JsonDocument.Parse(restore.Stdout))
        {
            var started = json.RootElement.GetProperty("server");
            var port = started.GetProperty("port").GetInt32();
            Assert.Equal(500L, await ArchivingServer.ScalarAsync<long>(server.Restored(target, port), "SELECT count(*) FROM batches"));
            // The passphrase was in the server's hands only while it recovered: no file of the copy or of its socket
            // folder holds it now.
            var sockets = started.GetProperty("socketDirectory").GetString()!;
            var files = Directory.EnumerateFiles(target, "*.conf").Concat(Directory.EnumerateFiles(sockets))
                .Where(f => !f.EndsWith($".s.PGSQL.{port}", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(files);
            foreach (var file in files)
                Assert.DoesNotContain(passphrase, await File.ReadAllTextAsync(file, ct));
        }

        var drill = await cli.RunAsync("test-restore", "latest", "--config", config);
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("pg_amcheck --heapallindexed found no corruption", drill.Stdout);
    }

    [Fact]
    public async Task RestoreToEnd_StopsAtADamagedSegment_InsteadOfPromotingACopyThatEndsBeforeIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var (cli, config, server) = await ArchivingAsync(dir, ct);
        await using var _ = server;
        await server.ExecuteAsync("INSERT INTO batches SELECT g, 1 FROM generate_series(1, 500) g");
        var damaged = await ArchivingServer.ScalarAsync<string>(server.Url(), "SELECT pg_walfile_name(pg_current_wal_lsn())");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());
        await server.ExecuteAsync("INSERT INTO batches SELECT g, 2 FROM generate_series(501, 1000) g");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        // One byte of the first batch's segment flipped in the repository.
        var stored = Path.Combine(dir.Combine("repo"), "wal", damaged[..8], damaged);
        var bytes = await File.ReadAllBytesAsync(stored, ct);
        bytes[bytes.Length / 2] ^= 0x40;
        File.SetUnixFileMode(stored, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        await File.WriteAllBytesAsync(stored, bytes, ct);

        var target = dir.Combine("restored");
        var restore = await cli.RunAsync("restore", "--to-dir", target, "--to-end", "--start", "--config", config);
        Assert.True(restore.ExitCode != 0, restore.ToString());
        // Whether pg_ctl saw the server accept connections before it stopped or not, the restore says it stopped.
        Assert.Matches("stopped during recovery|pg_ctl start failed", restore.Stderr);
        Assert.Contains("exit 126", await File.ReadAllTextAsync(Path.Combine(target, "postgresql.auto.conf"), ct));
        var log = await File.ReadAllTextAsync(Path.Combine(target, "bulwark_recovery.log"), ct);
        Assert.Contains(damaged, log);
        Assert.DoesNotContain("database system is ready to accept connections", log);
    }

    /// <summary>
    /// A repository in <paramref name="dir"/>, a server whose archive_command is this program's 'wal push', a
    /// 'batches' table (id, batch), and a base backup of it taken with this program.
    /// </summary>
    private static async Task<(CliRunner Cli, string Config, ArchivingServer Server)> ArchivingAsync(TempDirectory dir, CancellationToken ct,
        string? passphrase = null)
    {
        var config = dir.Combine("bulwark.yml");
        await File.WriteAllTextAsync(config, $"repository: {dir.Combine("repo")}\nstate: {dir.Combine("state")}\n", ct);
        var cli = new CliRunner(dir.Path).With("BULWARK_PASSWORD", passphrase);
        var init = await cli.RunAsync(passphrase is null ? ["init", "--config", config] : ["init", "--encrypt", "--config", config]);
        Assert.True(init.ExitCode == 0, init.ToString());
        // The server's archive_command reads the passphrase from a file of its own, as its service unit would name it.
        var push = $"{string.Join(' ', CliRunner.Command)} wal push %p --config {config}";
        if (passphrase is not null)
        {
            var file = dir.Combine("archive-passphrase");
            await File.WriteAllTextAsync(file, passphrase, ct);
            push = $"env BULWARK_PASSWORD_FILE={file} {push}";
        }
        // The server runs as 'postgres' when the tests run as root: it reads the configuration and writes the repository.
        if (Environment.UserName == "root")
            await WalCommandTests.ChownAsync(dir.Path);
        var server = await ArchivingServer.StartAsync(dir, push);
        try
        {
            cli.With("PGPASSWORD", server.Server.Password);
            await server.ExecuteAsync("CREATE TABLE batches (id int PRIMARY KEY, batch int NOT NULL)");
            var backup = await cli.RunAsync("backup", "--physical", "--source", server.Server.Url("postgres"), "--config", config);
            Assert.True(backup.ExitCode == 0, backup.ToString());
            return (cli, config, server);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }
}
