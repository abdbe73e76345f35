using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>
/// What the programs Bulwark starts can see of its secrets, observed in the real children: each writes its environment
/// to a file.
/// </summary>
public sealed class ChildSecretsTests(PostgresFixture pg) : IDisposable
{
    private const string Passphrase = "passphrase-9f3kQ";
    private const string AwsSecret = "aws-secret-7Hq2";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Our environment as a careless process would have it: every kind of secret set.</summary>
    private CliRunner SecretEnvironment() => new CliRunner(_directory.Path)
        .With("PGPASSWORD", pg.Server.Password)
        .With("BULWARK_PASSWORD", Passphrase)
        .With("BULWARK_NEW_PASSWORD", "new-passphrase-2x")
        .With("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
        .With("AWS_SECRET_ACCESS_KEY", AwsSecret)
        .With("AWS_SESSION_TOKEN", "aws-token-5Rt")
        .With("AZURE_STORAGE_KEY", "azure-key-3Lp")
        .With("AZURE_STORAGE_CONNECTION_STRING", "AccountName=a;AccountKey=azure-key-3Lp")
        .With("AZURE_STORAGE_SAS_TOKEN", "sv=2024&sig=azure-sig-8Wm");

    private static void AssertNoPassphraseOrCloudKey(string environment)
    {
        foreach (var name in new[] { "BULWARK_PASSWORD", "BULWARK_NEW_PASSWORD", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN" })
            Assert.DoesNotContain(name + "=", environment);
        foreach (var value in new[] { Passphrase, AwsSecret, "azure-key-3Lp", "aws-token-5Rt", "azure-sig-8Wm" })
            Assert.DoesNotContain(value, environment);
    }

    private static void WriteScript(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
    }

    [Fact]
    public async Task PgDump_GetsThePostgresPassword_ButNoPassphraseNorCloudKey()
    {
        using var bin = new TempDirectory("envbin");
        var (real, _) = await new PgTools().FindAsync("pg_dump", null, Ct);
        var seen = _directory.Combine("pg_dump.env");
        WriteScript(bin.Combine("pg_dump"), $"#!/bin/bash\nenv >> {seen}\nexec {real} \"$@\"\n");
        var database = await pg.CreateDatabaseAsync("env");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            $"repository: ./repo\nstate: ./state\npostgres:\n  url: {pg.Url(database, withPassword: false)}\n  bin-dir: {bin.Path}\n", Ct);
        var cli = SecretEnvironment();
        var init = await cli.RunAsync("init", "--encrypt");
        Assert.True(init.ExitCode == 0, init.ToString());

        var backup = await cli.RunAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        var environment = await File.ReadAllTextAsync(seen, Ct);
        Assert.Contains($"PGPASSWORD={pg.Server.Password}\n", environment);
        AssertNoPassphraseOrCloudKey(environment);
    }

    [Fact]
    public async Task AlertCommand_GetsTheAlert_ButNoPostgresPasswordPassphraseNorCloudKey()
    {
        await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var seen = _directory.Combine("alert.env");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            check:
              disk-free-warning: off
              disk-free-critical: off
            alerts:
              on-failure: 'env > {seen}'
            """, Ct);

        var check = await SecretEnvironment().RunAsync("check", "--alert");
        Assert.True(check.ExitCode == 2, check.ToString()); // no backup yet: CRITICAL, and the alert goes out
        var environment = await File.ReadAllTextAsync(seen, Ct);
        Assert.Contains("BULWARK_ALERT_STATUS=CRITICAL", environment);
        Assert.DoesNotContain("PGPASSWORD=", environment);
        Assert.DoesNotContain(pg.Server.Password, environment);
        AssertNoPassphraseOrCloudKey(environment);
    }

    [Fact]
    public async Task PassphraseCommand_GetsNoPostgresPassword_ButKeepsTheCloudCredentialsASecretManagerNeeds()
    {
        var init = await SecretEnvironment().RunAsync("init", "--encrypt", "--repo", _directory.Combine("repo"));
        Assert.True(init.ExitCode == 0, init.ToString());
        var seen = _directory.Combine("command.env");
        var cli = SecretEnvironment().With("BULWARK_PASSWORD", null).With("BULWARK_PASSWORD_COMMAND", $"env > {seen}; echo {Passphrase}");

        var verify = await cli.RunAsync("verify", "--repo", _directory.Combine("repo"));
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var environment = await File.ReadAllTextAsync(seen, Ct);
        Assert.DoesNotContain("PGPASSWORD=", environment);
        Assert.DoesNotContain("BULWARK_NEW_PASSWORD=", environment);
        Assert.Contains($"AWS_SECRET_ACCESS_KEY={AwsSecret}", environment);
    }

    [Fact]
    public async Task APasswordWithUnencodedQuestionMarkSlashAndAt_Connects_AndIsHiddenWholeInErrorsAndTheLog()
    {
        var role = pg.NewDatabaseName("odd");
        var database = pg.NewDatabaseName("oddpw");
        await pg.ExecuteAsync("postgres", $"CREATE ROLE \"{role}\" LOGIN PASSWORD 'p?ss/w@rd'");
        await pg.ExecuteAsync("postgres", $"CREATE DATABASE \"{database}\" OWNER \"{role}\"");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), "repository: ./repo\nstate: ./state\n", Ct);
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        var server = $"{pg.Server.Host}:{pg.Server.Port}";

        var backup = await cli.RunAsync("backup", "--source", $"postgres://{role}:p?ss/w@rd@{server}/{database}");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var wrong = await cli.RunAsync("backup", "--source", $"postgres://{role}:x?yy/zz@ww@{server}/{database}");
        Assert.True(wrong.ExitCode == 5, wrong.ToString());
        var unknownParameter = await cli.RunAsync("backup", "--source", $"postgres://{role}:x?yy/zz@ww@{server}/{database}?colour=blue");
        Assert.True(unknownParameter.ExitCode == 2, unknownParameter.ToString());
        Assert.Contains("unknown connection parameter 'colour'", unknownParameter.Stderr);
        var log = await File.ReadAllTextAsync(_directory.Combine("state", "operations.jsonl"), Ct);
        foreach (var text in new[] { backup.Stderr, wrong.Stderr, unknownParameter.Stderr, log })
        {
            foreach (var part in new[] { "p?ss", "ss/w", "w@rd", "x?yy", "yy/zz", "zz@ww" })
                Assert.DoesNotContain(part, text);
        }
    }
}
