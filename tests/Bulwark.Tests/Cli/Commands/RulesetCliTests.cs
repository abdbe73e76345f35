using System.Diagnostics;
using System.Text;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>The ruleset, modules and file-restore commands through the real program in child processes.</summary>
public sealed class RulesetCliTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CliRunner _cli;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public RulesetCliTests()
    {
        _cli = new CliRunner(_directory.Path);
    }

    public void Dispose() => _directory.Dispose();

    private async Task<CliResult> Run(params string[] arguments) => await _cli.RunAsync(arguments);

    private async Task<CliResult> Ok(params string[] arguments)
    {
        var result = await Run(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    private async Task InitAsync(string config = "")
    {
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), "repository: repo\n" + config, Ct);
        await Ok("init");
    }

    private string Path(params string[] parts) => _directory.Combine(parts);

    [Fact]
    public async Task Ruleset_CreateActivateRollbackVerify_EndToEnd()
    {
        await InitAsync();
        await File.WriteAllTextAsync(Path("ruleset.yml"), "limit: 10\n", Ct);
        Assert.Contains("created ruleset 1.0.0", (await Ok("ruleset", "create", "patch", "-m", "first", "--author", "alice")).Stdout);
        await File.WriteAllTextAsync(Path("ruleset.yml"), "limit: 20\n", Ct);
        Assert.Contains("1.1.0-rc.1", (await Ok("ruleset", "create", "minor", "--pre", "rc", "-m", "try", "--author", "bob")).Stdout);

        await Ok("ruleset", "activate", "1.0.0", "--env", "prod", "--author", "carol");
        await Ok("ruleset", "activate", "1.1.0-rc.1", "--env", "prod", "--author", "carol");
        var list = await Ok("ruleset", "list", "--json");
        Assert.Contains("\"activeIn\": [\n      \"prod\"", list.Stdout);
        var rolled = await Ok("ruleset", "rollback", "--env", "prod");
        Assert.Contains("rolled back ruleset 1.0.0 in prod (was 1.1.0-rc.1)", rolled.Stdout);
        Assert.Equal("limit: 10\n", await File.ReadAllTextAsync(Path("environments", "prod", "ruleset.yml"), Ct));
        var history = await Ok("ruleset", "history", "--env", "prod", "--json");
        Assert.Contains("\"action\": \"rollback\"", history.Stdout);
        var diff = await Ok("ruleset", "diff", "1.0.0", "1.1.0-rc.1");
        Assert.Contains("-limit: 10", diff.Stdout);
        Assert.Contains("+limit: 20", diff.Stdout);

        await Ok("ruleset", "verify");
        await File.WriteAllTextAsync(Path("environments", "prod", "ruleset.yml"), "limit: 11\n", Ct);
        var drift = await Run("ruleset", "verify");
        Assert.Equal(10, drift.ExitCode);
        Assert.Contains(Path("environments", "prod", "ruleset.yml"), drift.Stderr);

        var twice = await Run("ruleset", "activate", "1.0.0", "--env", "prod");
        Assert.Equal(9, twice.ExitCode);
        Assert.DoesNotContain("   at ", twice.Stderr);
        Assert.Equal(2, (await Run("ruleset", "activate", "1.0.0", "--env", "nowhere")).ExitCode);
        Assert.Equal(2, (await Run("ruleset", "activate", "one", "--env", "prod")).ExitCode);
        Assert.Equal(2, (await Run("ruleset", "create", "huge", "-m", "x", "--author", "a")).ExitCode);
    }

    [Fact]
    public async Task Environments_AndRulesets_ComeFromBulwarkYml()
    {
        await InitAsync("rulesets:\n  pricing: rules/pricing.yml\nenvironments:\n  live: deploy/live/{ruleset}.yml\n");
        Directory.CreateDirectory(Path("rules"));
        await File.WriteAllTextAsync(Path("rules", "pricing.yml"), "price: 1\n", Ct);
        await Ok("ruleset", "create", "major", "-m", "first", "--author", "alice");
        await Ok("ruleset", "activate", "1.0.0", "--env", "live");
        Assert.Equal("price: 1\n", await File.ReadAllTextAsync(Path("deploy", "live", "pricing.yml"), Ct));
        var unknown = await Run("ruleset", "activate", "1.0.0", "--env", "prod");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("the environments are: live", unknown.Stderr);
    }

    [Fact]
    public async Task UnreachableRepository_IsAOneLineError_AndWritesNothing()
    {
        await InitAsync();
        await File.WriteAllTextAsync(Path("ruleset.yml"), "limit: 10\n", Ct);
        var result = await Run("--repo", Path("nowhere"), "ruleset", "activate", "1.0.0", "--env", "prod");
        Assert.Equal(3, result.ExitCode);
        Assert.StartsWith("error: there is no Bulwark repository at", result.Stderr);
        Assert.Equal(2, result.Stderr.Trim().Split('\n').Length);
        Assert.False(Directory.Exists(Path("environments")));
        Assert.Equal(3, (await Run("--repo", Path("nowhere"), "ruleset", "create", "patch", "-m", "x", "--author", "a")).ExitCode);
    }

    [Fact]
    public async Task ConcurrentCreates_FromTwoProcesses_NeverGetTheSameVersion()
    {
        await InitAsync();
        await File.WriteAllTextAsync(Path("a.yml"), "repository: repo\nrulesets:\n  ruleset: a-rules.yml\n", Ct);
        await File.WriteAllTextAsync(Path("b.yml"), "repository: repo\nrulesets:\n  ruleset: b-rules.yml\n", Ct);
        for (var round = 0; round < 3; round++)
        {
            await File.WriteAllTextAsync(Path("a-rules.yml"), $"writer: a\nround: {round}\n", Ct);
            await File.WriteAllTextAsync(Path("b-rules.yml"), $"writer: b\nround: {round}\n", Ct);
            var results = await Task.WhenAll(
                _cli.RunAsync(["--config", "a.yml", "ruleset", "create", "patch", "-m", "a", "--author", "a"], null),
                _cli.RunAsync(["--config", "b.yml", "ruleset", "create", "patch", "-m", "b", "--author", "b"], null));
            Assert.All(results, r => Assert.True(r.ExitCode == 0, r.ToString()));
        }
        var list = await Ok("ruleset", "list", "--json");
        var versions = System.Text.Json.JsonDocument.Parse(list.Stdout).RootElement.EnumerateArray()
            .Select(v => v.GetProperty("version").GetString()).ToList();
        Assert.Equal(["1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4", "1.0.5"], versions);
    }

    [Fact]
    public async Task KillingTheProcessDuringActivation_LeavesTheOldOrTheNewFile_NeverPart()
    {
        await InitAsync();
        var small = "limit: 1\n"u8.ToArray();
        await File.WriteAllBytesAsync(Path("ruleset.yml"), small, Ct);
        await Ok("ruleset", "create", "patch", "-m", "small", "--author", "a");
        // A large version makes the write take long enough to be caught in the middle.
        var big = new StringBuilder("data: |\n");
        var line = "  " + new string('x', 126) + "\n";
        while (big.Length < 24 << 20)
            big.Append(line);
        var bigBytes = Encoding.UTF8.GetBytes(big.ToString());
        await File.WriteAllBytesAsync(Path("ruleset.yml"), bigBytes, Ct);
        await Ok("ruleset", "create", "patch", "-m", "big", "--author", "a");
        await Ok("ruleset", "activate", "1.0.0", "--env", "prod");

        var target = Path("environments", "prod", "ruleset.yml");
        var folder = System.IO.Path.GetDirectoryName(target)!;
        var killedMidWrite = 0;
        for (var attempt = 0; attempt < 8 && killedMidWrite < 2; attempt++)
        {
            foreach (var leftover in Directory.GetFiles(folder, "*" + AtomicFile.TemporarySuffix))
                File.Delete(leftover);
            var seen = false;
            var result = await _cli.RunAsync(["ruleset", "activate", "1.0.1", "--env", "prod"], process =>
            {
                var watch = Stopwatch.StartNew();
                while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(1))
                {
                    if (Directory.EnumerateFiles(folder, "*" + AtomicFile.TemporarySuffix).Any())
                    {
                        process.Kill();
                        seen = true;
                        return;
                    }
                    Thread.Yield();
                }
            });
            var content = await File.ReadAllBytesAsync(target, Ct);
            Assert.True(content.AsSpan().SequenceEqual(small) || content.AsSpan().SequenceEqual(bigBytes),
                $"the file is neither version after a kill ({content.Length} bytes); exit {result.ExitCode}");
            if (seen)
            {
                Assert.NotEqual(0, result.ExitCode);
                killedMidWrite++;
            }
            if (!content.AsSpan().SequenceEqual(small))
                await Ok("ruleset", "activate", "1.0.0", "--env", "prod", "--force");
        }
        Assert.True(killedMidWrite > 0, "no kill landed while the temporary file was being written");

        // The interrupted activation completes when run again, and cleans up what the killed ones left.
        await Ok("ruleset", "activate", "1.0.1", "--env", "prod");
        Assert.Equal(bigBytes, await File.ReadAllBytesAsync(target, Ct));
        Assert.Empty(Directory.GetFiles(folder, "*" + AtomicFile.TemporarySuffix));
        await Ok("ruleset", "verify");
    }

    [Fact]
    public async Task FilesAndModules_BackupRestoreAndCheck_ThroughTheProgram()
    {
        await InitAsync("files: [conf/*.yml]\nmodules:\n  paths: [lib/*.js]\n");
        Directory.CreateDirectory(Path("conf"));
        Directory.CreateDirectory(Path("lib"));
        await File.WriteAllTextAsync(Path("conf", "app.yml"), "a: 1\n", Ct);
        await File.WriteAllTextAsync(Path("lib", "m.js"), "// @version 2.0.0\nx();\n", Ct);
        var backup = await Ok("backup");
        Assert.Contains("files only", backup.Stdout);

        var restore = await Ok("restore", "latest", "--files-to", "out", "--file", "conf/app.yml");
        Assert.Contains("restored 1 file", restore.Stdout);
        Assert.Equal("a: 1\n", await File.ReadAllTextAsync(Path("out", "conf", "app.yml"), Ct));
        Assert.Equal(9, (await Run("restore", "latest", "--files-to", "out")).ExitCode);

        Assert.Contains("2.0.0 (unchanged)", (await Ok("modules")).Stdout);
        await File.WriteAllTextAsync(Path("lib", "m.js"), "// @version 2.0.0\ny();\n", Ct);
        var check = await Run("modules", "check");
        Assert.Equal(10, check.ExitCode);
        Assert.Contains("lib/m.js: content changed but version 2.0.0 did not", check.Stderr);
    }
}
