using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

public sealed class TestRestoreCommandTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _dir = new();

    public TestRestoreCommandTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    public void Dispose() => _dir.Dispose();

    private CliRunner Cli(string database) => new CliRunner(_dir.Path)
        .With("BULWARK_REPOSITORY", _dir.Combine("repo"))
        .With("BULWARK_POSTGRES_URL", _pg.Url(database, withPassword: false))
        .With("PGPASSWORD", _pg.Server.Password);

    [Fact]
    public async Task TestRestore_Passes_AndListAndShowReportIt()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var cli = Cli(database);
        Assert.Equal(0, (await cli.RunAsync("init", _dir.Combine("repo"))).ExitCode);
        var backup = await cli.RunAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("fingerprints 5 tables", backup.Stdout);

        var drill = await cli.RunAsync("test-restore", "latest");

        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("PASSED", drill.Stdout);
        Assert.Contains("restore ", drill.Stdout);
        var list = await cli.RunAsync("list");
        Assert.Contains("passed just now", list.Stdout);
        var show = await cli.RunAsync("show", "latest");
        Assert.Contains("shop.orders", show.Stdout);
        Assert.Contains("2,000", show.Stdout);
        Assert.Contains("5 constraints", show.Stdout);
        Assert.Contains("last drill passed", show.Stdout);
        var json = await cli.RunAsync("--json", "test-restore");
        Assert.Equal(0, json.ExitCode);
        Assert.Contains("\"passed\": true", json.Stdout);
    }

    [Fact]
    public async Task TestRestore_Passes_WithANoteNamingTheTablesWhoseColumnOrderChanged_InTextAndJson()
    {
        var database = await ColumnOrderDatabase.CreateAsync(_pg);
        var cli = Cli(database);
        Assert.Equal(0, (await cli.RunAsync("init", _dir.Combine("repo"))).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("backup")).ExitCode);

        var drill = await cli.RunAsync("test-restore");

        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("PASSED", drill.Stdout);
        Assert.Contains($"note       column order differs from the backup in 5 tables ({string.Join(", ", ColumnOrderDatabase.Reordered)})", drill.Stdout);
        var json = await cli.RunAsync("--json", "test-restore");
        Assert.True(json.ExitCode == 0, json.ToString());
        using var document = System.Text.Json.JsonDocument.Parse(json.Stdout);
        Assert.True(document.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(ColumnOrderDatabase.Reordered,
            document.RootElement.GetProperty("columnOrderChanged").EnumerateArray().Select(e => e.GetString()!).ToList());
        Assert.Contains(document.RootElement.GetProperty("notes").EnumerateArray(),
            n => n.GetString()!.StartsWith("column order differs from the backup in 5 tables", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TestRestore_ExitsWithIntegrity_WhenTheSnapshotIsDamaged_AndListShowsTheFailure()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var cli = Cli(database);
        Assert.Equal(0, (await cli.RunAsync("init", _dir.Combine("repo"))).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("backup")).ExitCode);
        foreach (var chunk in Directory.EnumerateFiles(_dir.Combine("repo", "chunks"), "*", SearchOption.AllDirectories))
            File.Delete(chunk);

        var drill = await cli.RunAsync("test-restore");

        Assert.True(drill.ExitCode == 10, drill.ToString());
        Assert.Contains("is missing", drill.Stderr);
        Assert.DoesNotContain("   at ", drill.Stderr);
        Assert.Contains("FAILED just now", (await cli.RunAsync("list")).Stdout);
    }

    [Fact]
    public async Task TestRestore_RefusesASnapshotWithoutFingerprints_WithUsageExit()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var cli = Cli(database).With("BULWARK_BACKUP_FINGERPRINTS", "false");
        Assert.Equal(0, (await cli.RunAsync("init", _dir.Combine("repo"))).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("backup")).ExitCode);
        var drill = await cli.RunAsync("test-restore");
        Assert.Equal(2, drill.ExitCode);
        Assert.Contains("no fingerprints", drill.Stderr);
        Assert.Contains("hint:", drill.Stderr);
    }
}
