using System.Text.Json;
using System.Text.RegularExpressions;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>
/// What bulwark writes is readable by its owner only, whatever the umask; 'check' says when a secret is open to others;
/// a password is never where other users see it without a warning.
/// </summary>
public sealed class PrivateByDefaultTests(PostgresFixture pg) : IDisposable
{
    private const UnixFileMode GroupOrOthers = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                               UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private const UnixFileMode Mode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode0644 = Mode0600 | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode0700 = Mode0600 | UnixFileMode.UserExecute;
    private const UnixFileMode Mode0755 = Mode0644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    /// <summary>Fails naming every file and folder below <paramref name="root"/> (and itself) that group or others may open.</summary>
    private static void AssertOwnerOnly(string root)
    {
        Assert.True(Directory.Exists(root), $"{root} is missing");
        var entries = new[] { root }.Concat(Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories));
        var open = entries.Where(e => (File.GetUnixFileMode(e) & GroupOrOthers) != 0)
            .Select(e => $"{e} {Convert.ToString((int)File.GetUnixFileMode(e), 8)}").ToList();
        Assert.True(open.Count == 0, "open to others:\n" + string.Join("\n", open));
    }

    [Fact]
    public async Task RepositoryConfigAndState_AreOwnerOnly_UnderUmask022()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix modes");
        var database = await pg.CreateDatabaseAsync("perm");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int primary key, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;");
        var cli = new CliRunner(_directory.Path).WithUmask("022").With("PGPASSWORD", pg.Server.Password);
        Ok(await cli.RunAsync("init", "./repo"));
        Ok(await cli.RunAsync("backup", "--source", pg.Url(database, withPassword: false)));
        Ok(await cli.RunAsync("backup", "--source", pg.Url(database, withPassword: false)));
        await cli.RunAsync("check"); // its status depends on this machine's free space; its caches are what count
        await cli.RunAsync("schedule", "run", "check");
        Ok(await cli.RunAsync("restore", "latest", "--to-file", _directory.Combine("out.dump")));
        var target = pg.NewDatabaseName("permr");
        Ok(await cli.RunAsync("restore", "latest", "--target", pg.Url(target, withPassword: false), "--create", "--jobs", "2"));

        // The umask did apply: a crontab file is meant for others to read, so it keeps the umask's 0644.
        var crontab = _directory.Combine("crontab");
        Ok(await cli.With(ScheduleInstaller.CrontabFileVariable, crontab).RunAsync("schedule", "install", "--cron"));
        Assert.Equal(Mode0644, File.GetUnixFileMode(crontab));

        AssertOwnerOnly(_directory.Combine("repo"));
        Assert.Contains(Directory.EnumerateFiles(_directory.Combine("repo", "chunks"), "*", SearchOption.AllDirectories), _ => true);
        Assert.Equal(Mode0600, File.GetUnixFileMode(_directory.Combine(ConfigLoader.FileName)));
        Assert.Equal(Mode0600, File.GetUnixFileMode(_directory.Combine("out.dump")));
        var state = _directory.Combine(".state", "bulwark");
        AssertOwnerOnly(state);
        Assert.True(File.Exists(Path.Combine(state, OperationLog.FileName)));
        Assert.True(Directory.Exists(Path.Combine(state, "jobs")));
        Assert.True(Directory.Exists(Path.Combine(state, "spool")));
    }

    [Fact]
    public async Task EncryptedRepository_AndTheKeyItRemembers_AreOwnerOnly_UnderUmask022()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix modes");
        var cli = new CliRunner(_directory.Path).WithUmask("022").With("BULWARK_PASSWORD", "correct horse battery staple");
        Ok(await cli.RunAsync("init", "./repo", "--encrypt"));
        Ok(await cli.RunAsync("list"));

        AssertOwnerOnly(_directory.Combine("repo"));
        var state = _directory.Combine(".state", "bulwark");
        AssertOwnerOnly(state);
        Assert.Single(Directory.EnumerateFiles(state, "last-key", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Check_Warns_WhenConfigPassphraseFileOrRepositoryAreOpenToOthers()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix modes");
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await repo.AddSnapshotAsync([1, 2, 3], DateTimeOffset.UtcNow.AddHours(-1));
        var config = _directory.Combine("bulwark.yml");
        await File.WriteAllTextAsync(config,
            "repository: ./repo\nstate: ./state\ncheck:\n  disk-free-warning: off\n  disk-free-critical: off\n", Ct);
        File.SetUnixFileMode(config, Mode0600);
        var passphrase = _directory.Combine("passphrase");
        await File.WriteAllTextAsync(passphrase, "unused\n", Ct);
        File.SetUnixFileMode(passphrase, Mode0600);
        var cli = new CliRunner(_directory.Path).With("BULWARK_PASSWORD_FILE", passphrase);

        var clean = await cli.RunAsync("check", "--json");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("\"permissions\"", clean.Stdout);

        File.SetUnixFileMode(config, Mode0644);
        var open = await cli.RunAsync("check");
        Assert.True(open.ExitCode == 1, open.ToString());
        Assert.Contains("permissions", open.Stdout);
        Assert.Contains($"the configuration {config} is open to its group and all users (mode 0644)", open.Stdout);
        Assert.Contains($"chmod 600 {config}", open.Stdout);

        File.SetUnixFileMode(passphrase, Mode0644 & ~UnixFileMode.OtherRead);
        File.SetUnixFileMode(_directory.Combine("repo"), Mode0755);
        var json = await cli.RunAsync("check", "--json");
        Assert.True(json.ExitCode == 1, json.ToString());
        var finding = JsonDocument.Parse(json.Stdout).RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("check").GetString() == HealthCheckNames.Permissions);
        Assert.Equal("warning", finding.GetProperty("status").GetString());
        var summary = finding.GetProperty("summary").GetString()!;
        Assert.Contains($"the passphrase file (BULWARK_PASSWORD_FILE) {passphrase} is open to its group (mode 0640)", summary);
        Assert.Contains($"the repository {_directory.Combine("repo")} is open to its group and all users (mode 0755)", summary);
        var advice = finding.GetProperty("advice").GetString()!;
        Assert.Contains($"chmod 600 {passphrase}", advice);
        Assert.Contains($"chmod -R go= {_directory.Combine("repo")}", advice);

        // The hints fix it.
        File.SetUnixFileMode(config, Mode0600);
        File.SetUnixFileMode(passphrase, Mode0600);
        File.SetUnixFileMode(_directory.Combine("repo"), Mode0700);
        Assert.Equal(0, (await cli.RunAsync("check")).ExitCode);
    }

    [Fact]
    public async Task Backup_WithAPasswordInTheConnectionString_WarnsOnce_AndNeverShowsIt()
    {
        var database = await pg.CreateDatabaseAsync("pwwarn");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int primary key); INSERT INTO t SELECT generate_series(1, 10);");
        var password = pg.Server.Password;
        var cli = new CliRunner(_directory.Path);
        Ok(await cli.RunAsync("init", "./repo"));

        var quiet = await cli.With("PGPASSWORD", password).RunAsync("backup", "--source", pg.Url(database, withPassword: false));
        Ok(quiet);
        Assert.DoesNotContain("warning", quiet.Stderr);
        cli.With("PGPASSWORD", null);

        var source = await cli.RunAsync("backup", "--source", pg.Url(database, withPassword: true));
        Ok(source);
        Assert.Single(Regex.Matches(source.Stderr, "warning: "));
        Assert.Contains("warning: the password in --source can be read by other users of this machine in the process list (ps); " +
                        "set PGPASSWORD, or put it in ~/.pgpass (mode 0600)", source.Stderr);

        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            $"repository: ./repo\npostgres:\n  url: {pg.Url(database, withPassword: true)}\n", Ct);
        var config = await cli.RunAsync("backup");
        Ok(config);
        Assert.Single(Regex.Matches(config.Stderr, "warning: "));
        Assert.Contains("warning: 'postgres.url' holds a password", config.Stderr);

        foreach (var result in new[] { source, config })
        {
            Assert.DoesNotContain(password, result.Stdout);
            Assert.DoesNotContain(password, result.Stderr);
        }
        var log = await File.ReadAllTextAsync(_directory.Combine(".state", "bulwark", OperationLog.FileName), Ct);
        Assert.Contains("the password in --source can be read", log);
        Assert.Contains("'postgres.url' holds a password", log);
        Assert.DoesNotContain(password, log);
    }

    [Fact]
    public async Task InitThenBackup_ConnectsWhereTheLibpqEnvironmentSays()
    {
        var database = await pg.CreateDatabaseAsync("pgenv");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int primary key); INSERT INTO t SELECT generate_series(1, 10);");
        var cli = new CliRunner(_directory.Path)
            .With("PGHOST", pg.Server.Host)
            .With("PGPORT", pg.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With("PGDATABASE", database)
            .With("PGUSER", pg.Server.User)
            .With("PGPASSWORD", pg.Server.Password);
        Ok(await cli.RunAsync("init", "./repo"));
        var backup = await cli.RunAsync("backup", "--json");
        Ok(backup);
        Assert.Equal(database, JsonDocument.Parse(backup.Stdout).RootElement.GetProperty("source").GetString()!.Split('/')[^1]);
        var list = JsonDocument.Parse((await cli.RunAsync("list", "--json")).Stdout).RootElement;
        Assert.Equal(database, Assert.Single(list.GetProperty("snapshots").EnumerateArray()).GetProperty("database").GetString());
    }

    [Fact]
    public async Task InstallCronPrint_NeedsNoCrontabProgram()
    {
        var config = _directory.Combine("bulwark.yml");
        await File.WriteAllTextAsync(config, "repository: ./repo\nstate: ./state\nschedule:\n  time-zone: UTC\n", Ct);
        var emptyPath = _directory.Combine("bin");
        Directory.CreateDirectory(emptyPath);
        var cli = new CliRunner(_directory.Path).With("PATH", emptyPath).With(ScheduleInstaller.CrontabFileVariable, null);

        var printed = await cli.RunAsync("schedule", "install", "--cron", "--print");
        Assert.True(printed.ExitCode == 0, printed.ToString());
        Assert.Contains($"# BEGIN bulwark {config}", printed.Stdout);
        Assert.Contains("schedule run backup --scheduled", printed.Stdout);
        Assert.Contains("crontab program is not installed", printed.Stderr);

        // Installing does need it.
        var installed = await cli.RunAsync("schedule", "install", "--cron");
        Assert.True(installed.ExitCode == 7, installed.ToString());
    }
}
