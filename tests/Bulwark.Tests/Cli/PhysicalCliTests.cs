using System.Text.Json;
using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Operations.Restore;

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
        Assert.Contains("bulwark.dll'' ''wal'' ''fetch'' \"%f\" \"%p\" ''--config'' ''" + dir.Combine(ConfigLoader.FileName) + "''", line);
    }
}
