using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

public sealed class CopyCliTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _directory = new();

    public CopyCliTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    [Fact]
    public async Task BackupWithCopyTo_CopiesOffsite_AndAFailedCopyExitsNonZeroAfterSavingTheSnapshot()
    {
        var db = await _pg.CreateDatabaseAsync("copyto");
        await _pg.ExecuteAsync(db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 1000);");
        var cli = new CliRunner(_directory.Path).With("BULWARK_POSTGRES_URL", _pg.Url(db));
        Assert.Equal(0, (await cli.RunAsync("init", _directory.Combine("main"))).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("init", _directory.Combine("offsite"))).ExitCode);

        var copied = await cli.With("BULWARK_COPY_TO", _directory.Combine("offsite")).RunAsync("backup");
        Assert.True(copied.ExitCode == 0, copied.ToString());
        Assert.Contains("copied snapshot", copied.Stdout);
        var offsite = await cli.RunAsync("list", "--repo", _directory.Combine("offsite"), "--json");
        Assert.Single(System.Text.Json.JsonDocument.Parse(offsite.Stdout).RootElement.GetProperty("snapshots").EnumerateArray());

        var failed = await cli.With("BULWARK_COPY_TO", _directory.Combine("missing")).RunAsync("backup");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Contains("saved to", failed.Stdout);
        EncryptedRepositoryCliTests.AssertOneLineError(failed, 3, "was saved, but copying it to");
        var log = await cli.RunAsync("log", "--errors", "--json");
        Assert.Contains("\"copy\"", log.Stdout);
    }

    [Fact]
    public async Task Copy_ToTheSameRepository_OrWithoutDestination_IsAUsageError()
    {
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init", _directory.Combine("main"))).ExitCode);
        EncryptedRepositoryCliTests.AssertOneLineError(
            await cli.RunAsync("copy", "--repo", _directory.Combine("main"), "--to", _directory.Combine("main")), 2, "is the same repository");
        Assert.Equal(2, (await cli.RunAsync("copy", "--repo", _directory.Combine("main"))).ExitCode);
    }

    public void Dispose() => _directory.Dispose();
}
