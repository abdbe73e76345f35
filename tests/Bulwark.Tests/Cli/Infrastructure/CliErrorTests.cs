using System.Diagnostics;
using System.Text;
using Bulwark.Operations.Configuration;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Sources.Postgres;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Infrastructure;

/// <summary>Each expected failure: one line saying what to do, the documented exit code, no stack trace, no snapshot.</summary>
public sealed class CliErrorTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(TempDirectory Dir, CliRunner Cli, string Database)> SetUpAsync(string? binDir = null, bool init = true)
    {
        var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("cli");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int, v text); INSERT INTO t SELECT g, repeat('v', 100) FROM generate_series(1, 20000) g;");
        var yaml = new StringBuilder();
        yaml.AppendLine("repository: ./repo");
        yaml.AppendLine("state: ./state");
        yaml.AppendLine("postgres:");
        yaml.AppendLine($"  url: {pg.Url(database, withPassword: false)}");
        if (binDir is not null)
            yaml.AppendLine($"  bin-dir: {binDir}");
        await File.WriteAllTextAsync(dir.Combine(ConfigLoader.FileName), yaml.ToString(), Ct);
        var cli = new CliRunner(dir.Path).With("PGPASSWORD", pg.Server.Password);
        if (init)
        {
            var result = await cli.RunAsync("init");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        return (dir, cli, database);
    }

    private static void AssertCleanFailure(CliResult result, int exitCode, string expected)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("hint:", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.DoesNotContain("Exception", result.Stderr);
        Assert.Equal(2, result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    private static async Task AssertNoSnapshotAsync(TempDirectory dir)
    {
        await using var repository = await BackupRepository.OpenAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions(), Ct);
        Assert.Empty(await repository.ListSnapshotIdsAsync(Ct));
    }

    [Fact]
    public async Task Backup_OfAnUnreachableServer_ExitsWith5()
    {
        var (dir, cli, _) = await SetUpAsync();
        using var cleanup = dir;
        var result = await cli.RunAsync("backup", "--source", "postgres://postgres@127.0.0.1:1/nothing");
        AssertCleanFailure(result, 5, "cannot connect");
        await AssertNoSnapshotAsync(dir);
    }

    [Fact]
    public async Task Backup_WithAWrongPassword_ExitsWith5_AndDoesNotPrintIt()
    {
        var (dir, cli, _) = await SetUpAsync();
        using var cleanup = dir;
        cli.With("PGPASSWORD", "wrong-secret-123");
        var result = await cli.RunAsync("backup");
        AssertCleanFailure(result, 5, "refused the credentials");
        Assert.DoesNotContain("wrong-secret-123", result.Stderr + result.Stdout);
        Assert.DoesNotContain("wrong-secret-123", await File.ReadAllTextAsync(dir.Combine("state", "operations.jsonl"), Ct));
        await AssertNoSnapshotAsync(dir);
    }

    [Fact]
    public async Task Backup_WithoutPgDump_ExitsWith7()
    {
        using var empty = new TempDirectory("nobin");
        var (dir, cli, _) = await SetUpAsync(binDir: empty.Path);
        using var cleanup = dir;
        var result = await cli.RunAsync("backup");
        AssertCleanFailure(result, 7, "pg_dump is not in");
        await AssertNoSnapshotAsync(dir);
    }

    [Fact]
    public async Task Backup_WithAPgDumpOlderThanTheServer_ExitsWith7()
    {
        using var bin = new TempDirectory("oldbin");
        // A pg_dump that reports an old version: the version check must stop before anything runs.
        WriteScript(bin.Combine("pg_dump"), "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n");
        var (dir, cli, _) = await SetUpAsync(binDir: bin.Path);
        using var cleanup = dir;
        var result = await cli.RunAsync("backup");
        AssertCleanFailure(result, 7, "older than the server");
        await AssertNoSnapshotAsync(dir);
    }

    [Fact]
    public async Task Backup_WhenPgDumpFailsHalfWay_ExitsWith1_AndLeavesNoSnapshot()
    {
        using var bin = new TempDirectory("halfbin");
        var (real, _) = await new PgTools().FindAsync("pg_dump", null, Ct);
        // A fault real pg_dump cannot produce on demand: it dies after writing part of its output.
        WriteScript(bin.Combine("pg_dump"), $"#!/bin/bash\nif [ \"$1\" = --version ]; then exec {real} --version; fi\n{real} \"$@\" | head -c 300000\necho 'pg_dump: error: simulated failure' >&2\nexit 1\n");
        var (dir, cli, _) = await SetUpAsync(binDir: bin.Path);
        using var cleanup = dir;
        var result = await cli.RunAsync("backup");
        AssertCleanFailure(result, 1, "pg_dump failed");
        await AssertNoSnapshotAsync(dir);
        var log = await cli.RunAsync("log", "--errors", "--json");
        Assert.Contains("\"outcome\": \"failed\"", log.Stdout);
    }

    [Fact]
    public async Task Commands_OnAMissingRepository_ExitWith3()
    {
        var (dir, cli, _) = await SetUpAsync(init: false);
        using var cleanup = dir;
        foreach (var command in new[] { "backup", "list", "verify" })
        {
            var result = await cli.RunAsync(command);
            AssertCleanFailure(result, 3, "no Bulwark repository");
        }
    }

    [Fact]
    public async Task Backup_OfALockedRepository_ExitsWith4_NamingTheHolder()
    {
        var (dir, cli, _) = await SetUpAsync();
        using var cleanup = dir;
        await using (var repository = await BackupRepository.OpenAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions(), Ct))
        await using (await repository.LockAsync(LockMode.Exclusive, "maintenance", Ct))
        {
            var result = await cli.RunAsync("backup");
            AssertCleanFailure(result, 4, "locked: maintenance");
            Assert.Contains($"process {Environment.ProcessId}", result.Stderr);
        }
        await AssertNoSnapshotAsync(dir);
        Assert.Equal(0, (await cli.RunAsync("backup")).ExitCode);
    }

    [Fact]
    public async Task Restore_IntoANonEmptyDatabase_ExitsWith9_AndLeavesItAlone()
    {
        var (dir, cli, database) = await SetUpAsync();
        using var cleanup = dir;
        Assert.Equal(0, (await cli.RunAsync("backup")).ExitCode);
        var result = await cli.RunAsync("restore", "latest", "--target", pg.Url(database, withPassword: false));
        AssertCleanFailure(result, 9, "is not empty");
        Assert.Equal(20000L, await pg.ScalarAsync<long>(database, "SELECT count(*) FROM t"));
        var exists = await cli.RunAsync("restore", "latest", "--target", pg.Url(database, withPassword: false), "--create");
        AssertCleanFailure(exists, 9, "already exists");
    }

    [Fact]
    public async Task UsageErrors_ExitWith2()
    {
        var (dir, cli, _) = await SetUpAsync();
        using var cleanup = dir;
        Assert.Equal(2, (await cli.RunAsync("backup", "--no-such-option")).ExitCode);
        AssertCleanFailure(await cli.RunAsync("show", "zz"), 2, "not a snapshot reference");
        AssertCleanFailure(await cli.RunAsync("restore", "latest"), 2, "exactly one of --target and --to-file");
        await File.AppendAllTextAsync(dir.Combine(ConfigLoader.FileName), "bakup:\n  tags: []\n", Ct);
        var config = await cli.RunAsync("list");
        AssertCleanFailure(config, 2, "unknown key 'bakup'");
        Assert.Contains("bulwark.yml:5", config.Stderr);
    }

    [Fact]
    public async Task Password_NeverAppearsInCommandLines_Logs_OrManifests()
    {
        using var bin = new TempDirectory("spybin");
        var tools = new PgTools();
        var (realDump, _) = await tools.FindAsync("pg_dump", null, Ct);
        var (realDumpAll, _) = await tools.FindAsync("pg_dumpall", null, Ct);
        // Wrappers that stay alive a moment so the test can read /proc/PID/cmdline, then become the real programs.
        WriteScript(bin.Combine("pg_dump"), $"#!/bin/bash\nif [ \"$1\" != --version ]; then sleep 1; fi\nexec {realDump} \"$@\"\n");
        WriteScript(bin.Combine("pg_dumpall"), $"#!/bin/bash\nif [ \"$1\" != --version ]; then sleep 1; fi\nexec {realDumpAll} \"$@\"\n");
        var (dir, cli, database) = await SetUpAsync(binDir: bin.Path);
        using var cleanup = dir;
        var password = pg.Server.Password;
        var seen = new List<string>();
        var result = await cli.RunAsync(["backup", "--globals", "--source", pg.Url(database, withPassword: true)], process =>
        {
            _ = Task.Run(async () =>
            {
                while (!process.HasExited)
                {
                    foreach (var proc in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
                    {
                        try
                        {
                            var cmdline = (await File.ReadAllTextAsync(Path.Combine(proc, "cmdline"))).Replace('\0', ' ');
                            if (cmdline.Contains("pg_dump"))
                                lock (seen) seen.Add(cmdline);
                        }
                        catch (IOException) { }
                        catch (UnauthorizedAccessException) { }
                    }
                    await Task.Delay(50);
                }
            });
        });
        Assert.True(result.ExitCode == 0, result.ToString());
        lock (seen)
        {
            Assert.Contains(seen, c => c.Contains("--snapshot="));
            Assert.Contains(seen, c => c.Contains("--globals-only"));
            Assert.All(seen, c => Assert.DoesNotContain(password, c));
        }
        Assert.DoesNotContain(password, result.Stdout + result.Stderr);
        Assert.DoesNotContain(password, await File.ReadAllTextAsync(dir.Combine("state", "operations.jsonl"), Ct));
        await using var repository = await BackupRepository.OpenAsync(new LocalBackend(dir.Combine("repo")), new RepositoryOpenOptions(), Ct);
        foreach (var id in await repository.ListSnapshotIdsAsync(Ct))
        {
            var stored = await repository.ReadObjectAsync(RepositoryLayout.SnapshotName(id), Bulwark.Repository.Format.ObjectLimits.Manifest, Ct);
            var json = Encoding.UTF8.GetString(Assert.IsType<byte[]>(stored));
            Assert.Contains("\"streams\"", json);
            Assert.DoesNotContain(password, json);
        }
    }

    private static void WriteScript(string path, string content)
    {
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                   UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }
}

public sealed class CliCancellationTests(PostgresFixture pg)
{
    [Fact]
    public async Task Sigint_DuringABackup_Exits130_KillsPgDump_AndLeavesNoSnapshot()
    {
        using var bin = new TempDirectory("slowbin");
        var (real, _) = await new PgTools().FindAsync("pg_dump", null, TestContext.Current.CancellationToken);
        var marker = bin.Combine("started");
        File.WriteAllText(bin.Combine("pg_dump"), $"#!/bin/bash\nif [ \"$1\" = --version ]; then exec {real} --version; fi\ntouch {marker}\nsleep 30\nexec {real} \"$@\"\n");
        File.SetUnixFileMode(bin.Combine("pg_dump"), (UnixFileMode)Convert.ToInt32("755", 8));
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("sig");
        await File.WriteAllTextAsync(dir.Combine("bulwark.yml"), $"repository: ./repo\nstate: ./state\npostgres:\n  url: {pg.Url(database)}\n  bin-dir: {bin.Path}\n", TestContext.Current.CancellationToken);
        var cli = new CliRunner(dir.Path).WithDefaultSignals();
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        var result = await cli.RunAsync(["backup"], process =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!File.Exists(marker) && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        });
        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("cancelled", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(Directory.Exists(dir.Combine("repo", "snapshots")) && Directory.EnumerateFiles(dir.Combine("repo", "snapshots")).Any());
        Assert.Empty(Directory.EnumerateFiles(dir.Combine("repo", "locks")));
        var log = await cli.RunAsync("log", "--json");
        Assert.Contains("\"outcome\": \"cancelled\"", log.Stdout);
        var survivors = Directory.EnumerateDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Select(d => { try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); } catch (IOException) { return ""; } })
            .Where(c => c.Contains(bin.Path))
            .ToList();
        Assert.Empty(survivors);
    }
}
