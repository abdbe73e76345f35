using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>Encrypted repositories through the real program: passphrases from the environment, exit codes, messages.</summary>
public sealed class EncryptedRepositoryCliTests : IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _directory = new();

    public EncryptedRepositoryCliTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    private string Repo => _directory.Combine("repo");

    private CliRunner Cli(string? passphrase = null) => new CliRunner(_directory.Path).With("BULWARK_PASSWORD", passphrase);

    /// <summary>One line saying what failed, one saying what to do, and nothing else.</summary>
    internal static void AssertOneLineError(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("warning:", StringComparison.Ordinal)).ToList();
        Assert.True(lines.Count == 2, result.ToString());
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        Assert.StartsWith("hint: ", lines[1]);
    }

    [Fact]
    public async Task EncryptedRepository_BacksUpVerifiesAndRestores_WithThePassphraseFromAFile()
    {
        var db = await _pg.CreateDatabaseAsync("enc");
        await _pg.ExecuteAsync(db, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g;");
        var passphraseFile = _directory.Combine("passphrase");
        await File.WriteAllTextAsync(passphraseFile, "tr0ub4dor&3 correct horse\n", TestContext.Current.CancellationToken);
        var cli = new CliRunner(_directory.Path).With("BULWARK_PASSWORD_FILE", passphraseFile);

        var init = await cli.RunAsync("init", "--encrypt", Repo);
        Assert.True(init.ExitCode == 0, init.ToString());
        Assert.Contains("created encrypted repository", init.Stdout);
        var backup = await cli.RunAsync("backup", "--repo", Repo, "--source", _pg.Url(db));
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var verify = await cli.RunAsync("verify", "--repo", Repo, "--read-data");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var restored = _pg.NewDatabaseName();
        var restore = await cli.RunAsync("restore", "latest", "--repo", Repo, "--target", _pg.Url(restored), "--create");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Equal(5000L, await _pg.ScalarAsync<long>(restored, "SELECT count(*) FROM t"));

        // The passphrase appears nowhere: not in output, not in the operations log.
        var log = await File.ReadAllTextAsync(Path.Combine(_directory.Path, ".state", "bulwark", "operations.jsonl"), TestContext.Current.CancellationToken);
        foreach (var text in new[] { init.Stdout, init.Stderr, backup.Stdout, backup.Stderr, verify.Stdout, restore.Stdout, log })
            Assert.DoesNotContain("correct horse", text);
    }

    [Fact]
    public async Task WrongOrMissingPassphrase_ExitsWith8_AndOneLine()
    {
        Assert.Equal(0, (await Cli("right").RunAsync("init", "--encrypt", Repo)).ExitCode);
        AssertOneLineError(await Cli("wrong").RunAsync("list", "--repo", Repo), 8, "the passphrase does not open the repository");
        AssertOneLineError(await Cli().RunAsync("list", "--repo", Repo), 8, "no passphrase given");
        Assert.Equal(0, (await Cli("right").RunAsync("list", "--repo", Repo)).ExitCode);
    }

    [Fact]
    public async Task Keys_CanBeAddedListedAndRemoved_ButNotTheLast()
    {
        Assert.Equal(0, (await Cli("one").RunAsync("init", "--encrypt", Repo)).ExitCode);
        var add = await Cli("one").With("BULWARK_NEW_PASSWORD", "two").RunAsync("key", "add", "--repo", Repo);
        Assert.True(add.ExitCode == 0, add.ToString());
        var list = await Cli("two").RunAsync("key", "list", "--repo", Repo, "--json");
        Assert.True(list.ExitCode == 0, list.ToString());
        using var keys = System.Text.Json.JsonDocument.Parse(list.Stdout);
        Assert.Equal(2, keys.RootElement.GetArrayLength());
        var first = keys.RootElement.EnumerateArray().Single(k => !k.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;

        var remove = await Cli("two").RunAsync("key", "remove", first[..8], "--repo", Repo);
        Assert.True(remove.ExitCode == 0, remove.ToString());
        AssertOneLineError(await Cli("one").RunAsync("list", "--repo", Repo), 8, "does not open");
        var current = keys.RootElement.EnumerateArray().Single(k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString()!;
        AssertOneLineError(await Cli("two").RunAsync("key", "remove", current[..8], "--repo", Repo), 9, "is the only key");
    }

    [Fact]
    public async Task KeyCommands_OnAPlainRepository_SayItIsNotEncrypted()
    {
        Assert.Equal(0, (await Cli().RunAsync("init", Repo)).ExitCode);
        AssertOneLineError(await Cli().RunAsync("key", "list", "--repo", Repo), 2, "is not encrypted");
    }

    [Fact]
    public async Task ARepositoryOfANewerFormat_IsAOneLineErrorSayingToUpgrade()
    {
        Assert.Equal(0, (await Cli().RunAsync("init", Repo)).ExitCode);
        var config = Path.Combine(Repo, "config");
        var json = await File.ReadAllTextAsync(config, TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(config, json.Replace("\"format\":1", "\"format\":99", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        var result = await Cli().RunAsync("list", "--repo", Repo);
        AssertOneLineError(result, 3, "has format 99");
        Assert.Contains("upgrade Bulwark", result.Stderr);
    }

    public void Dispose() => _directory.Dispose();
}
