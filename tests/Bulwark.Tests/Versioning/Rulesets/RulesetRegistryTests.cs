using System.Security.Cryptography;
using Bulwark.Operations;
using Bulwark.Operations.Rulesets;
using Bulwark.Repository.Locking;
using Bulwark.Tests.Infrastructure;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Tests.Versioning.Rulesets;

public sealed class RulesetRegistryTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private string WorkingFile => _directory.Combine("ruleset.yml");
    private string EnvFile(string env) => _directory.Combine("environments", env, "ruleset.yml");

    private async Task<RulesetOperations> NewAsync()
    {
        var context = await TestRepository.CreateAsync(_directory);
        return new RulesetOperations(context);
    }

    /// <summary>A registry with one patch version per limit ("limit: N"), 1.0.0 first, described "first", "second", ….</summary>
    private async Task<RulesetOperations> WithVersionsAsync(params int[] limits)
    {
        var rulesets = await NewAsync();
        string[] ordinals = ["first", "second", "third"];
        for (var i = 0; i < limits.Length; i++)
        {
            await WriteRulesetAsync($"limit: {limits[i]}\n");
            await rulesets.CreateVersionAsync(VersionBump.Patch, ordinals[i], "alice", cancellationToken: Ct);
        }
        return rulesets;
    }

    private Task WriteRulesetAsync(string text) => File.WriteAllTextAsync(WorkingFile, text, Ct);

    private static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    private static async Task<BulwarkException> Fails(ErrorKind kind, Func<Task> action)
    {
        var e = await Assert.ThrowsAsync<BulwarkException>(action);
        Assert.Equal(kind, e.Kind);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Theory]
    [InlineData(new string[0], VersionBump.Patch, null, "1.0.0")]
    [InlineData(new string[0], VersionBump.Major, "rc", "1.0.0-rc.1")]
    [InlineData(new[] { "1.0.0" }, VersionBump.Patch, null, "1.0.1")]
    [InlineData(new[] { "1.0.0" }, VersionBump.Minor, null, "1.1.0")]
    [InlineData(new[] { "1.4.2" }, VersionBump.Major, null, "2.0.0")]
    [InlineData(new[] { "1.0.0" }, VersionBump.Minor, "rc", "1.1.0-rc.1")]
    [InlineData(new[] { "1.0.0", "1.1.0-rc.1" }, VersionBump.Minor, "rc", "1.1.0-rc.2")]
    [InlineData(new[] { "1.0.0", "1.1.0-rc.1", "1.1.0-rc.2" }, VersionBump.Minor, null, "1.1.0")]
    [InlineData(new[] { "1.0.0", "1.1.0-rc.1" }, VersionBump.Patch, null, "1.0.1")]
    [InlineData(new[] { "1.0.0", "1.1.0-rc.9", "1.1.0-rc.10" }, VersionBump.Minor, "rc", "1.1.0-rc.11")]
    public void NextVersion_FollowsSemanticVersioning(string[] existing, VersionBump bump, string? pre, string expected)
    {
        Assert.Equal(expected, RulesetVersionPolicy.NextVersion(existing, bump, pre).ToString());
    }

    [Fact]
    public async Task Create_RegistersVersionsWithParentAuthorDescriptionAndSha256()
    {
        var rulesets = await NewAsync();
        await WriteRulesetAsync("limit: 10\n");
        var first = await rulesets.CreateVersionAsync(VersionBump.Patch, "first rules", "alice", cancellationToken: Ct);
        await WriteRulesetAsync("limit: 20\n");
        var second = await rulesets.CreateVersionAsync(VersionBump.Patch, "raise the limit", "bob", cancellationToken: Ct);

        Assert.Equal("1.0.0", first.Version);
        Assert.Null(first.Parent);
        Assert.Equal("1.0.1", second.Version);
        Assert.Equal("1.0.0", second.Parent);
        Assert.Equal("bob", second.Author);
        Assert.Equal("raise the limit", second.Description);
        Assert.Equal(Sha("limit: 20\n"u8.ToArray()), second.Sha256);
        var versions = await rulesets.GetVersionsAsync(cancellationToken: Ct);
        Assert.Equal(["1.0.0", "1.0.1"], versions.Select(v => v.Version));
    }

    [Fact]
    public async Task Create_RefusesContentIdenticalToTheLatestVersion()
    {
        var rulesets = await WithVersionsAsync(10);
        var e = await Fails(ErrorKind.Refused, () => rulesets.CreateVersionAsync(VersionBump.Minor, "again", "alice", cancellationToken: Ct));
        Assert.Contains("identical to version 1.0.0", e.Message);
        Assert.Single(await rulesets.GetVersionsAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Create_RefusesInvalidYaml_NamingLineAndColumn()
    {
        var rulesets = await NewAsync();
        await WriteRulesetAsync("rules:\n  - name: a\n   limit: [1\n");
        var e = await Fails(ErrorKind.Usage, () => rulesets.CreateVersionAsync(VersionBump.Patch, "broken", "alice", cancellationToken: Ct));
        Assert.Matches(@"ruleset\.yml:3:\d+: not valid YAML", e.Message);
        Assert.Empty(await rulesets.GetVersionsAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Create_MissingFile_BadLabelAndMissingAuthor_AreClearErrors()
    {
        var rulesets = await NewAsync();
        var e = await Fails(ErrorKind.Usage, () => rulesets.CreateVersionAsync(VersionBump.Patch, "x", "alice", cancellationToken: Ct));
        Assert.Contains("does not exist", e.Message);
        await WriteRulesetAsync("a: 1\n");
        await Fails(ErrorKind.Usage, () => rulesets.CreateVersionAsync(VersionBump.Patch, "x", "alice", prerelease: "r.c", cancellationToken: Ct));
        await Fails(ErrorKind.Usage, () => rulesets.CreateVersionAsync(VersionBump.Patch, "x", " ", cancellationToken: Ct));
        await Fails(ErrorKind.Usage, () => rulesets.CreateVersionAsync(VersionBump.Patch, "", "alice", cancellationToken: Ct));
        Assert.Empty(await rulesets.GetVersionsAsync(cancellationToken: Ct));
    }

    [Fact]
    public async Task Activate_WritesTheFileAtomically_AndRecordsWhoWhenAndFromWhichVersion()
    {
        var rulesets = await WithVersionsAsync(10, 20);

        await rulesets.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);
        var result = await rulesets.ActivateVersionAsync("1.0.1", "prod", "dave", cancellationToken: Ct);

        Assert.Equal("limit: 20\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));
        Assert.Equal("1.0.0", result.Previous);
        var history = await rulesets.GetHistoryAsync("prod", cancellationToken: Ct);
        Assert.Equal(["1.0.0", "1.0.1"], history.Select(h => h.Version));
        Assert.Equal("dave", history[1].Author);
        Assert.Equal("1.0.0", history[1].Previous);
        Assert.Equal(EnvFile("prod"), history[1].Path);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(EnvFile("prod"))!, "*tmp*", SearchOption.AllDirectories));
        var versions = await rulesets.GetVersionsAsync(cancellationToken: Ct);
        Assert.Equal(["prod"], versions.Single(v => v.Version == "1.0.1").ActiveIn);
        Assert.Empty(versions.Single(v => v.Version == "1.0.0").ActiveIn);
    }

    [Fact]
    public async Task BadInput_IsRefusedWithOneLine_AndWritesNothing()
    {
        var rulesets = await WithVersionsAsync(10);
        await rulesets.ActivateVersionAsync("1.0.0", "staging", "carol", cancellationToken: Ct);

        var unknownVersion = await Fails(ErrorKind.Usage, () => rulesets.ActivateVersionAsync("1.0.7", "prod", "carol", cancellationToken: Ct));
        Assert.Contains("no version 1.0.7", unknownVersion.Message);
        var unknownEnv = await Fails(ErrorKind.Usage, () => rulesets.ActivateVersionAsync("1.0.0", "qa", "carol", cancellationToken: Ct));
        Assert.Contains("unknown environment 'qa'", unknownEnv.Message);
        Assert.Contains("dev, prod, staging", unknownEnv.Advice);
        var badSemver = await Fails(ErrorKind.Usage, () => rulesets.ActivateVersionAsync("1.0", "prod", "carol", cancellationToken: Ct));
        Assert.Contains("not a semantic version", badSemver.Message);
        var twice = await Fails(ErrorKind.Refused, () => rulesets.ActivateVersionAsync("1.0.0", "staging", "carol", cancellationToken: Ct));
        Assert.Contains("already active in staging", twice.Message);

        Assert.False(File.Exists(EnvFile("prod")));
        Assert.Single(await rulesets.GetHistoryAsync(null, cancellationToken: Ct));
    }

    [Fact]
    public async Task Activate_RefusesToReplaceAFileChangedByHand_UnlessForced()
    {
        var rulesets = await WithVersionsAsync(10, 20);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);
        await File.AppendAllTextAsync(EnvFile("prod"), "hotfix: true\n", Ct);

        var e = await Fails(ErrorKind.Refused, () => rulesets.ActivateVersionAsync("1.0.1", "prod", "carol", cancellationToken: Ct));
        Assert.Contains("drift", e.Message);
        Assert.EndsWith("hotfix: true\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));

        await rulesets.ActivateVersionAsync("1.0.1", "prod", "carol", force: true, cancellationToken: Ct);
        Assert.Equal("limit: 20\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));
    }

    [Fact]
    public async Task Activation_InterruptedBeforeItsEvent_IsCompletedByRunningItAgain()
    {
        var rulesets = await WithVersionsAsync(10, 20);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);
        // What a process killed after the rename and before the event leaves: the new content, no record.
        await File.WriteAllTextAsync(EnvFile("prod"), "limit: 20\n", Ct);

        var result = await rulesets.ActivateVersionAsync("1.0.1", "prod", "carol", cancellationToken: Ct);
        Assert.Equal("1.0.0", result.Previous);
        Assert.True((await rulesets.VerifyAsync(cancellationToken: Ct)).Ok);
    }

    [Fact]
    public async Task Rollback_WalksBackThroughWhatWasActive()
    {
        var rulesets = await NewAsync();
        foreach (var limit in new[] { 10, 20, 30 })
        {
            await WriteRulesetAsync($"limit: {limit}\n");
            await rulesets.CreateVersionAsync(VersionBump.Patch, $"limit {limit}", "alice", cancellationToken: Ct);
        }
        foreach (var version in new[] { "1.0.0", "1.0.1", "1.0.2" })
            await rulesets.ActivateVersionAsync(version, "prod", "carol", cancellationToken: Ct);

        Assert.Equal("1.0.1", (await rulesets.RollbackVersionAsync("prod", cancellationToken: Ct)).Version);
        Assert.Equal("1.0.0", (await rulesets.RollbackVersionAsync("prod", cancellationToken: Ct)).Version);
        Assert.Equal("limit: 10\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));
        var nothingLeft = await Fails(ErrorKind.Usage, () => rulesets.RollbackVersionAsync("prod", cancellationToken: Ct));
        Assert.Contains("nothing to roll back to", nothingLeft.Message);

        // rollbackRulesetVersion('1.0.2'): a named version.
        var named = await rulesets.RollbackVersionAsync("prod", "1.0.2", "carol", cancellationToken: Ct);
        Assert.Equal("1.0.0", named.Previous);
        Assert.Equal("limit: 30\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));
        Assert.All(await rulesets.GetHistoryAsync("prod", cancellationToken: Ct), h => Assert.Equal(EnvFile("prod"), h.Path));
        await Fails(ErrorKind.Usage, () => rulesets.RollbackVersionAsync("dev", cancellationToken: Ct));
    }

    [Fact]
    public async Task Promote_ActivatesOnlyAVersionActiveInTheSourceEnvironment()
    {
        var rulesets = await WithVersionsAsync(10);
        await WriteRulesetAsync("limit: 20\n");
        await rulesets.CreateVersionAsync(VersionBump.Minor, "second", "alice", cancellationToken: Ct);
        await rulesets.ActivateVersionAsync("1.1.0", "staging", "carol", cancellationToken: Ct);

        var e = await Fails(ErrorKind.Refused, () => rulesets.PromoteVersionAsync("1.0.0", "staging", "prod", "carol", cancellationToken: Ct));
        Assert.Contains("not active in staging", e.Message);
        Assert.False(File.Exists(EnvFile("prod")));

        var promoted = await rulesets.PromoteVersionAsync("1.1.0", "staging", "prod", "carol", cancellationToken: Ct);
        Assert.Equal("staging", promoted.Record.FromEnvironment);
        Assert.Equal(RulesetActivationRecord.Promote, promoted.Record.Action);
        Assert.Equal(await File.ReadAllBytesAsync(EnvFile("staging"), Ct), await File.ReadAllBytesAsync(EnvFile("prod"), Ct));
    }

    [Fact]
    public async Task Verify_ReportsDriftAndMissingFiles_NamingTheFile()
    {
        var rulesets = await WithVersionsAsync(10);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);
        await rulesets.ActivateVersionAsync("1.0.0", "staging", "carol", cancellationToken: Ct);
        Assert.True((await rulesets.VerifyAsync(cancellationToken: Ct)).Ok);

        await File.WriteAllTextAsync(EnvFile("prod"), "limit: 99\n", Ct);
        File.Delete(EnvFile("staging"));
        var result = await rulesets.VerifyAsync(cancellationToken: Ct);
        Assert.False(result.Ok);
        var byEnv = result.Checks.ToDictionary(c => c.Environment);
        Assert.Equal(RulesetFileStatus.Drift, byEnv["prod"].Status);
        Assert.Contains(EnvFile("prod"), byEnv["prod"].Describe());
        Assert.Equal(RulesetFileStatus.Missing, byEnv["staging"].Status);
        Assert.Equal(RulesetFileStatus.NotActivated, byEnv["dev"].Status);
        Assert.False(byEnv["dev"].IsProblem);
        Assert.Equal(2, (await rulesets.VerifyAllAsync(Ct)).Problems.Count());
    }

    [Fact]
    public async Task Diff_IsAUnifiedDiff_BetweenVersionsOrAgainstAFile()
    {
        var rulesets = await NewAsync();
        await WriteRulesetAsync("a: 1\nb: 2\nc: 3\n");
        await rulesets.CreateVersionAsync(VersionBump.Patch, "first", "alice", cancellationToken: Ct);
        await WriteRulesetAsync("a: 1\nb: 20\nc: 3\n");
        await rulesets.CreateVersionAsync(VersionBump.Patch, "second", "alice", cancellationToken: Ct);

        var diff = await rulesets.DiffAsync("1.0.0", "1.0.1", cancellationToken: Ct);
        Assert.Contains("--- ruleset@1.0.0", diff);
        Assert.Contains("+++ ruleset@1.0.1", diff);
        Assert.Contains("@@ -1,", diff);
        Assert.Contains("\n-b: 2", diff);
        Assert.Contains("\n+b: 20", diff);
        Assert.Equal("", await rulesets.DiffAsync("1.0.1", null, cancellationToken: Ct));
        await Fails(ErrorKind.Usage, () => rulesets.DiffAsync("1.0.0", "2.0.0", cancellationToken: Ct));
    }

    [Fact]
    public async Task ConcurrentCreates_NeverProduceTheSameVersion()
    {
        var context = await TestRepository.CreateAsync(_directory, configure: c =>
            c.Rulesets = Enumerable.Range(0, 8).ToDictionary(i => $"copy{i}", i => $"ruleset-{i}.yml"));
        // Eight writers of the same ruleset: each has its own working file and opens the repository on its own.
        for (var i = 0; i < 8; i++)
            await File.WriteAllTextAsync(_directory.Combine($"ruleset-{i}.yml"), $"writer: {i}\n", Ct);
        var start = new TaskCompletionSource();
        var writers = Enumerable.Range(0, 8).Select(i => Task.Run(async () =>
        {
            var options = new RulesetOperations(context).OptionsFor($"copy{i}") with { Name = "shared" };
            await using var repository = await context.OpenRepositoryAsync(Ct);
            var registry = new RulesetRegistry(repository, options);
            await start.Task;
            return await registry.CreateVersionAsync(VersionBump.Patch, $"writer {i}", $"w{i}", cancellationToken: Ct);
        }, Ct)).ToList();
        start.SetResult();
        var created = await Task.WhenAll(writers);

        Assert.Equal(8, created.Select(c => c.Version).Distinct().Count());
        await using var check = await context.OpenRepositoryAsync(Ct);
        var registered = await new RulesetRegistry(check, new RulesetRegistryOptions { Name = "shared" }).ReadVersionsAsync(Ct);
        Assert.Equal(8, registered.Select(v => v.Version).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 8).Select(i => $"1.0.{i}"), registered.Select(v => v.Version));
        // Each version's parent is the one registered before it: the chain has no fork.
        Assert.Equal(registered.SkipLast(1).Select(v => v.Version), registered.Skip(1).Select(v => v.Parent!));
        // Every writer let go of its lock (the repository's shared lock, naming the ruleset).
        Assert.Empty(await RepositoryLock.ListAsync(check, Ct));
    }

    [Fact]
    public async Task UnreadableLockObject_DoesNotHoldTheRuleset_AndIsKeptWhileFresh()
    {
        var context = await TestRepository.CreateAsync(_directory);
        var rulesets = new RulesetOperations(context);
        await WriteRulesetAsync("limit: 10\n");
        await rulesets.CreateVersionAsync(VersionBump.Patch, "first", "alice", cancellationToken: Ct);
        // What a process killed while it put its lock leaves on a store that keeps a put cut off midway (s3rver): it
        // counts as a shared lock of an unknown operation, which names no ruleset.
        var options = rulesets.OptionsFor() with { LockWait = TimeSpan.Zero };
        var garbage = _directory.Combine("repo", "locks", "0123456789abcdef");
        await File.WriteAllBytesAsync(garbage, [], Ct);
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var registry = new RulesetRegistry(repository, options);

        await registry.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);

        Assert.Equal("limit: 10\n", await File.ReadAllTextAsync(EnvFile("prod"), Ct));
        // Fresh, it may be a put under way: only its age (or unlock) removes it.
        Assert.True(File.Exists(garbage));
    }

    [Fact]
    public async Task Registry_ComesBackWithACopyOfTheRepository()
    {
        var rulesets = await WithVersionsAsync(10);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "carol", cancellationToken: Ct);

        // A disaster: everything but a copy of the repository is gone.
        using var elsewhere = new TempDirectory();
        CopyFolder(_directory.Combine("repo"), elsewhere.Combine("repo"));
        var restored = new RulesetOperations(TestConfig.Context(elsewhere, null));
        var versions = await restored.GetVersionsAsync(cancellationToken: Ct);
        Assert.Equal("1.0.0", Assert.Single(versions).Version);
        Assert.Equal(["prod"], versions[0].ActiveIn);
        // …and the environment's file can be written again from it.
        await restored.ActivateVersionAsync("1.0.0", "prod", "carol", force: true, cancellationToken: Ct);
        Assert.Equal("limit: 10\n", await File.ReadAllTextAsync(elsewhere.Combine("environments", "prod", "ruleset.yml"), Ct));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
