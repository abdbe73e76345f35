using System.Text.Json;
using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>The commands as a user runs them, through the real program.</summary>
public sealed class CliWorkflowTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InitBackupListShowVerifyRestoreLog_WorkTogether()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("flow");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int primary key, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;");
        var cli = new CliRunner(dir.Path).With("PGPASSWORD", pg.Server.Password);

        var init = await cli.RunAsync("init", "./repo");
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.True(File.Exists(dir.Combine(ConfigLoader.FileName)));
        Assert.Contains("created repository", init.Stdout);

        var backup = await cli.RunAsync("backup", "--source", pg.Url(database, withPassword: false), "--tag", "first", "--json");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        using var backupJson = JsonDocument.Parse(backup.Stdout);
        var snapshot = backupJson.RootElement.GetProperty("snapshot").GetString()!;
        Assert.True(backupJson.RootElement.GetProperty("statistics").GetProperty("newBytes").GetInt64() > 0);

        var list = await cli.RunAsync("list", "--json");
        using var listJson = JsonDocument.Parse(list.Stdout);
        var entry = Assert.Single(listJson.RootElement.GetProperty("snapshots").EnumerateArray());
        Assert.Empty(listJson.RootElement.GetProperty("unreadable").EnumerateArray());
        Assert.Equal(snapshot, entry.GetProperty("id").GetString());
        Assert.Equal(database, entry.GetProperty("database").GetString());
        Assert.Equal("first", entry.GetProperty("tags")[0].GetString());

        var table = await cli.RunAsync("list");
        Assert.Contains(snapshot[..8], table.Stdout);
        Assert.Contains("1 snapshot in", table.Stdout);

        var show = await cli.RunAsync("show", snapshot[..6]);
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("database.dump", show.Stdout);
        Assert.Contains("pg_dump", show.Stdout);
        using var showJson = JsonDocument.Parse((await cli.RunAsync("show", "latest", "--json")).Stdout);
        var sha = showJson.RootElement.GetProperty("streams")[0].GetProperty("sha256").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", sha);
        Assert.StartsWith("15.", showJson.RootElement.GetProperty("source").GetProperty("serverVersion").GetString());

        var verify = await cli.RunAsync("verify", "--read-data");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains("ok: 1 snapshot(s)", verify.Stdout);

        var file = dir.Combine("out.dump");
        var toFile = await cli.RunAsync("restore", "latest", "--to-file", file);
        Assert.True(toFile.ExitCode == 0, toFile.ToString());
        Assert.Contains(sha, toFile.Stdout);

        var target = pg.NewDatabaseName("flowr");
        var restore = await cli.RunAsync("restore", snapshot[..8], "--target", pg.Url(target, withPassword: false), "--create");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(5000L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM t"));

        var log = await cli.RunAsync("log", "--json");
        using var logJson = JsonDocument.Parse(log.Stdout);
        var operations = logJson.RootElement.EnumerateArray().Select(r => r.GetProperty("operation").GetString()).ToList();
        Assert.Equal(["init", "backup", "verify", "restore", "restore"], operations);
        var backupRecord = logJson.RootElement[1];
        Assert.Equal("ok", backupRecord.GetProperty("outcome").GetString());
        Assert.Equal(snapshot[..8], backupRecord.GetProperty("snapshot").GetString());
        Assert.True(backupRecord.GetProperty("bytes").GetInt64() > 0);
        Assert.True(backupRecord.GetProperty("end").GetDateTimeOffset() >= backupRecord.GetProperty("start").GetDateTimeOffset());
        Assert.True(backupRecord.TryGetProperty("durationMs", out _));
        var errors = await cli.RunAsync("log", "--errors");
        Assert.Contains("no records", errors.Stdout);
    }

    [Fact]
    public async Task Demo_RunsEndToEnd_AndCleansUpItsServer()
    {
        using var dir = new TempDirectory();
        var cli = new CliRunner(dir.Path);
        var result = await cli.RunAsync(["demo", "--dir", dir.Combine("demo")], null, TimeSpan.FromMinutes(5));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("identical", result.Stdout);
        Assert.Contains("reused from backup 1", result.Stdout);
        // The server's folder is gone; the repository stays for the user to look at.
        Assert.Empty(Directory.EnumerateDirectories(dir.Combine("demo"), "bulwark-pg-*"));
        Assert.True(Directory.Exists(dir.Combine("demo", "repository", "snapshots")));
        var list = await cli.RunAsync("list", "--repo", dir.Combine("demo", "repository"), "--json");
        Assert.Equal(2, JsonDocument.Parse(list.Stdout).RootElement.GetProperty("snapshots").GetArrayLength());
    }
}
