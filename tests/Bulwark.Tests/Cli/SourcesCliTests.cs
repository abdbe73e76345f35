using System.Text.Json;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>One configuration with several databases ('sources:'), through the real program.</summary>
public sealed class SourcesCliTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<CliRunner> FleetAsync(string app, string crm)
    {
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            schedule:
              time-zone: UTC
            check:
              disk-free-warning: off
              disk-free-critical: off
            retention:
              keep-last: 5
              max-age: off
            sources:
              - name: app
                postgres:
                  url: {pg.Url(app, withPassword: false)}
                schedule:
                  backup: "0 * * * *"
                retention:
                  keep-last: 1
                  max-age: off
              - name: crm
                postgres:
                  url: {pg.Url(crm, withPassword: false)}
                schedule:
                  drill: off
            """, Ct);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(_directory.Path).With("PGPASSWORD", pg.Server.Password)
            .With(ScheduleInstaller.CrontabFileVariable, _directory.Combine("crontab"));
        var init = await cli.RunAsync("init", "./repo");
        Assert.True(init.ExitCode == 0, init.ToString());
        return cli;
    }

    private static async Task<JsonElement> JsonAsync(CliRunner cli, params string[] arguments)
    {
        var result = await cli.RunAsync([.. arguments, "--json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task SourceOption_SelectsOneSource_OnEveryCommandThatActsOnOne()
    {
        var app = await pg.CreateDatabaseAsync("ca");
        var crm = await pg.CreateDatabaseAsync("cc");
        await pg.ExecuteAsync(app, "CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 30) g;");
        await pg.ExecuteAsync(crm, "CREATE TABLE contacts AS SELECT g AS id FROM generate_series(1, 70) g;");
        var cli = await FleetAsync(app, crm);

        // backup: every source, side by side; then one source alone.
        var all = await JsonAsync(cli, "backup", "--parallel", "2");
        Assert.Equal(["app", "crm"], all.GetProperty("sources").EnumerateArray().Select(s => s.GetProperty("source").GetString()));
        Assert.All(all.GetProperty("sources").EnumerateArray(), s => Assert.True(s.GetProperty("ok").GetBoolean()));
        var appOnly = await JsonAsync(cli, "backup", "--source", "app");
        var appSnapshot = Assert.Single(appOnly.GetProperty("sources").EnumerateArray()).GetProperty("backup").GetProperty("snapshot").GetString()!;
        var unknown = await cli.RunAsync("backup", "--source", "nope");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("app, crm", unknown.Stderr);

        // list: grouped by source; --source narrows it.
        var list = await JsonAsync(cli, "list");
        Assert.Equal(["app", "app", "crm"], list.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("source").GetString()));
        var crmList = await JsonAsync(cli, "list", "--source", "crm");
        Assert.Equal(crm, Assert.Single(crmList.GetProperty("snapshots").EnumerateArray()).GetProperty("database").GetString());
        var table = await cli.RunAsync("list");
        Assert.Contains("Source", table.Stdout);

        // show / restore / verify: 'latest' needs --source, and is then that source's newest.
        var ambiguous = await cli.RunAsync("show", "latest");
        Assert.True(ambiguous.ExitCode == 2, ambiguous.ToString());
        Assert.Contains("--source", ambiguous.Stderr);
        var shown = await JsonAsync(cli, "show", "latest", "--source", "app");
        Assert.Equal(appSnapshot, shown.GetProperty("id").GetString());
        Assert.Equal("app", shown.GetProperty("source").GetProperty("name").GetString());
        var wrongSource = await cli.RunAsync("show", appSnapshot[..12], "--source", "crm");
        Assert.True(wrongSource.ExitCode == 2, wrongSource.ToString());
        var target = pg.NewDatabaseName("cr");
        var restore = await cli.RunAsync("restore", "latest", "--source", "crm", "--target", pg.Url(target, withPassword: false), "--create");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(70L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM contacts"));
        var verify = await cli.RunAsync("verify", "--source", "app");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var drill = await cli.RunAsync("test-restore", "--source", "crm");
        Assert.True(drill.ExitCode == 0, drill.ToString());

        // status and check: per source.
        var status = await JsonAsync(cli, "status");
        var sources = status.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal(["app", "crm"], sources.Select(s => s.GetProperty("name").GetString()));
        Assert.Equal(2, sources[0].GetProperty("snapshots").GetInt32());
        Assert.Equal(appSnapshot, sources[0].GetProperty("lastBackup").GetProperty("id").GetString());
        Assert.Equal(1, sources[0].GetProperty("retention").GetProperty("kept").GetInt32());
        Assert.Equal(1, sources[1].GetProperty("retention").GetProperty("kept").GetInt32());
        Assert.Equal(["backup.app", "drill.app"], sources[0].GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job").GetString()));
        Assert.Equal(["backup.crm"], sources[1].GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job").GetString()));
        var crmStatus = await JsonAsync(cli, "status", "--source", "crm");
        Assert.Equal("crm", Assert.Single(crmStatus.GetProperty("sources").EnumerateArray()).GetProperty("name").GetString());
        Assert.Equal(1, crmStatus.GetProperty("snapshots").GetInt32());
        var check = await cli.RunAsync("check", "--source", "app", "--nagios");
        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.Contains("'backup_age:app'=", check.Stdout);
        Assert.DoesNotContain("backup_age:crm", check.Stdout);

        // cleanup: each source by its own rules, or one source alone.
        var dryRun = await JsonAsync(cli, "cleanup", "--source", "crm", "--dry-run");
        Assert.All(dryRun.GetProperty("snapshots").EnumerateArray(), s => Assert.True(s.GetProperty("keep").GetBoolean()));
        var cleanup = await JsonAsync(cli, "cleanup");
        Assert.Equal(1, cleanup.GetProperty("removed").GetInt32());
        Assert.Single((await JsonAsync(cli, "list", "--source", "app")).GetProperty("snapshots").EnumerateArray());

        // schedule: one crontab block with a backup line per source and one check and cleanup.
        var install = await cli.RunAsync("schedule", "install", "--cron");
        Assert.True(install.ExitCode == 0, install.ToString());
        var crontab = await File.ReadAllTextAsync(_directory.Combine("crontab"), Ct);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(crontab, "# BEGIN bulwark"));
        Assert.Contains("0 * * * * cd ", crontab);
        Assert.Contains("schedule run backup.app --scheduled", crontab);
        Assert.Contains("schedule run backup.crm --scheduled", crontab);
        Assert.Contains("schedule run drill.app --scheduled", crontab);
        Assert.DoesNotContain("drill.crm", crontab);
        Assert.Contains("schedule run cleanup --scheduled", crontab);
        var job = await cli.RunAsync("schedule", "run", "backup.crm");
        Assert.True(job.ExitCode == 0, job.ToString());
        Assert.Equal(2, (await JsonAsync(cli, "list", "--source", "crm")).GetProperty("snapshots").GetArrayLength());
    }

    [Fact]
    public async Task SinglePostgresConfig_WritesNoSourceName_AndStatusShowsOneDefaultSource()
    {
        var database = await pg.CreateDatabaseAsync("cd");
        await pg.ExecuteAsync(database, "CREATE TABLE t AS SELECT 1 AS id;");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            $"repository: ./repo\nstate: ./state\npostgres:\n  url: {pg.Url(database, withPassword: false)}\n", Ct);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(_directory.Path).With("PGPASSWORD", pg.Server.Password);
        Assert.Equal(0, (await cli.RunAsync("init", "./repo")).ExitCode);

        var backup = await JsonAsync(cli, "backup");
        Assert.False(backup.TryGetProperty("sources", out _));
        var snapshot = backup.GetProperty("snapshot").GetString()!;
        var shown = await JsonAsync(cli, "show", "latest");
        Assert.Equal(snapshot, shown.GetProperty("id").GetString());
        Assert.False(shown.GetProperty("source").TryGetProperty("name", out _));
        var status = await JsonAsync(cli, "status");
        var only = Assert.Single(status.GetProperty("sources").EnumerateArray());
        Assert.Equal("default", only.GetProperty("name").GetString());
        Assert.Equal(snapshot, only.GetProperty("lastBackup").GetProperty("id").GetString());
        Assert.Equal(snapshot, status.GetProperty("lastBackup").GetProperty("id").GetString());
        var selected = await JsonAsync(cli, "list", "--source", "default");
        Assert.Single(selected.GetProperty("snapshots").EnumerateArray());
    }
}
