using System.Text.Json;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>'copy' and 'modules' with several sources ('sources:'), through the real program.</summary>
public sealed class SourceCopyModulesCliTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Two databases, each with its own module files, backed up once each.</summary>
    private async Task<CliRunner> FleetAsync()
    {
        var app = await pg.CreateDatabaseAsync("ma");
        var crm = await pg.CreateDatabaseAsync("mc");
        await pg.ExecuteAsync(app, "CREATE TABLE orders AS SELECT g AS id FROM generate_series(1, 3) g;");
        await pg.ExecuteAsync(crm, "CREATE TABLE contacts AS SELECT g AS id FROM generate_series(1, 4) g;");
        Directory.CreateDirectory(_directory.Combine("app"));
        Directory.CreateDirectory(_directory.Combine("crm"));
        await File.WriteAllTextAsync(_directory.Combine("app", "pricing.js"), "// @version 1.0.0\nprice();\n", Ct);
        await File.WriteAllTextAsync(_directory.Combine("crm", "mailer.js"), "// @version 2.1.0\nmail();\n", Ct);
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            check:
              disk-free-warning: off
              disk-free-critical: off
            sources:
              - name: app
                postgres:
                  url: {pg.Url(app, withPassword: false)}
                modules:
                  paths: [app/*.js]
              - name: crm
                postgres:
                  url: {pg.Url(crm, withPassword: false)}
                modules:
                  paths: [crm/*.js]
            """, Ct);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(_directory.Path).With("PGPASSWORD", pg.Server.Password);
        await OkAsync(cli, "init", "./repo");
        await OkAsync(cli, "backup");
        await OkAsync(cli, "backup", "--source", "app");
        return cli;
    }

    private static async Task<CliResult> OkAsync(CliRunner cli, params string[] arguments)
    {
        var result = await cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private static async Task<JsonElement> JsonAsync(CliRunner cli, params string[] arguments) =>
        JsonDocument.Parse((await OkAsync(cli, [.. arguments, "--json"])).Stdout).RootElement.Clone();

    private static List<string> Ids(JsonElement list) =>
        list.GetProperty("snapshots").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task Copy_WithSource_CopiesThatSourcesSnapshotsOnly_AndLatestNeedsASource()
    {
        var cli = await FleetAsync();
        var apps = Ids(await JsonAsync(cli, "list", "--source", "app"));
        var crms = Ids(await JsonAsync(cli, "list", "--source", "crm"));
        Assert.Equal(2, apps.Count);
        await OkAsync(cli, "init", "./offsite");

        var ambiguous = await cli.RunAsync("copy", "--to", "./offsite", "latest");
        Assert.True(ambiguous.ExitCode == 2, ambiguous.ToString());
        Assert.Contains("--source", ambiguous.Stderr);
        var latestCrm = await JsonAsync(cli, "copy", "--to", "./offsite", "latest", "--source", "crm");
        Assert.Equal([crms[^1][..8]], latestCrm.GetProperty("copied").EnumerateArray().Select(c => c.GetProperty("source").GetString()));
        var wrongSource = await cli.RunAsync("copy", "--to", "./offsite", apps[0][..12], "--source", "crm");
        Assert.True(wrongSource.ExitCode == 2, wrongSource.ToString());

        var app = await JsonAsync(cli, "copy", "--to", "./offsite", "--source", "app");
        Assert.Equal(apps.Select(id => id[..8]), app.GetProperty("copied").EnumerateArray().Select(c => c.GetProperty("source").GetString()));
        var offsite = await JsonAsync(cli, "list", "--repo", "./offsite");
        Assert.Equal(["app", "app", "crm"], offsite.GetProperty("snapshots").EnumerateArray()
            .Select(s => s.GetProperty("source").GetString()).Order());
        var again = await JsonAsync(cli, "copy", "--to", "./offsite");
        Assert.Empty(again.GetProperty("copied").EnumerateArray());
    }

    [Fact]
    public async Task Modules_WithSource_ComparesThatSourcesModulesWithItsOwnSnapshots_AndWithoutItEverySource()
    {
        var cli = await FleetAsync();
        // crm's module changes without a new version; app's stays as backed up.
        await File.WriteAllTextAsync(_directory.Combine("crm", "mailer.js"), "// @version 2.1.0\nmail(twice);\n", Ct);

        var app = await JsonAsync(cli, "modules", "--source", "app");
        Assert.True(app.GetProperty("ok").GetBoolean());
        Assert.Equal("app", app.GetProperty("source").GetString());
        Assert.Equal(["app/pricing.js"], app.GetProperty("modules").EnumerateArray().Select(m => m.GetProperty("path").GetString()));
        var appLatest = Ids(await JsonAsync(cli, "list", "--source", "app"))[^1];
        Assert.Equal(appLatest[..8], app.GetProperty("previousSnapshot").GetString());
        await OkAsync(cli, "modules", "check", "--source", "app");

        var crm = await cli.RunAsync("modules", "check", "--source", "crm");
        Assert.True(crm.ExitCode == 10, crm.ToString());
        Assert.Contains("crm/mailer.js: content changed but version 2.1.0 did not", crm.Stderr);
        Assert.DoesNotContain("pricing", crm.Stdout);

        var all = await cli.RunAsync("modules", "check");
        Assert.True(all.ExitCode == 10, all.ToString());
        Assert.Contains("crm: crm/mailer.js", all.Stderr);
        Assert.Contains("Source app", all.Stdout);
        Assert.Contains("Source crm", all.Stdout);
        var listed = await JsonAsync(cli, "modules");
        Assert.False(listed.GetProperty("ok").GetBoolean());
        var sources = listed.GetProperty("sources").EnumerateArray().ToList();
        Assert.Equal(["app", "crm"], sources.Select(s => s.GetProperty("source").GetString()));
        Assert.Equal([true, false], sources.Select(s => s.GetProperty("ok").GetBoolean()));
        var unknown = await cli.RunAsync("modules", "--source", "nope");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
    }

    [Fact]
    public async Task Status_ComparesEachSourcesModulesWithItsOwnSnapshots()
    {
        var cli = await FleetAsync();
        await File.WriteAllTextAsync(_directory.Combine("crm", "mailer.js"), "// @version 2.1.0\nmail(twice);\n", Ct);

        var all = await JsonAsync(cli, "status");
        var conflict = Assert.Single(all.GetProperty("moduleConflicts").EnumerateArray());
        Assert.Equal("crm/mailer.js", conflict.GetProperty("path").GetString());
        Assert.Equal("crm", conflict.GetProperty("source").GetString());
        var app = await JsonAsync(cli, "status", "--source", "app");
        Assert.Empty(app.GetProperty("moduleConflicts").EnumerateArray());
        var crm = await JsonAsync(cli, "status", "--source", "crm");
        Assert.Equal("crm/mailer.js", Assert.Single(crm.GetProperty("moduleConflicts").EnumerateArray()).GetProperty("path").GetString());
    }
}
