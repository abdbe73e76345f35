using System.Diagnostics;
using System.Text.Json;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>Faults that end cleanly: a state disk that refuses the log, torn log lines, debris of killed runs.</summary>
public sealed class FaultCleanupTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Backup_Succeeds_WithAWarning_WhenTheOperationsLogCannotBeWritten()
    {
        var database = await pg.CreateDatabaseAsync("logfull");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int); INSERT INTO t VALUES (1);");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            $"repository: ./repo\nstate: ./state\npostgres:\n  url: {pg.Url(database)}\n", Ct);
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        // Where the log should be, something that cannot be appended to.
        File.Delete(_directory.Combine("state", "operations.jsonl"));
        Directory.CreateDirectory(_directory.Combine("state", "operations.jsonl"));

        var backup = await cli.RunAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("warning: cannot write the operations log", backup.Stderr);
        Assert.DoesNotContain("error:", backup.Stderr);
        Assert.Single(Directory.EnumerateFiles(_directory.Combine("repo", "snapshots")));
    }

    [Fact]
    public async Task ARecordAfterATornLine_StartsOnItsOwnLine_AndTheLogShowsIt()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await repo.AddSnapshotAsync([1, 2, 3], DateTimeOffset.UtcNow.AddHours(-1));
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), "repository: ./repo\nstate: ./state\n", Ct);
        Directory.CreateDirectory(_directory.Combine("state"));
        // A backup whose append was cut short by a full disk.
        await File.WriteAllTextAsync(_directory.Combine("state", "operations.jsonl"), "{\"id\":\"torn\",\"operation\":\"backup\",\"sta", Ct);
        var cli = new CliRunner(_directory.Path);

        var verify = await cli.RunAsync("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var log = await cli.RunAsync("log", "--json");
        Assert.True(log.ExitCode == 0, log.ToString());
        var records = JsonDocument.Parse(log.Stdout).RootElement.EnumerateArray().ToList();
        var record = Assert.Single(records);
        Assert.Equal("verify", record.GetProperty("operation").GetString());
        Assert.Equal("ok", record.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task DebrisOfKilledRuns_OlderThanAnHour_IsSwept_AndNewerFilesAreKept()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        await repo.AddSnapshotAsync([1, 2, 3], DateTimeOffset.UtcNow.AddHours(-1));
        var context = TestConfig.Context(_directory, null);
        var state = _directory.Combine("state");
        var output = _directory.Combine("out");
        var hex = new string('a', 32);
        var old = new[]
        {
            Path.Combine(state, "alerts.json.4242.tmp"),
            Path.Combine(state, "jobs", "backup.json.4242.7.tmp"),
            Path.Combine(state, "cache", "0123abcd", "chunks-deadbeef.bin.4242.tmp"),
            Path.Combine(state, "spool", $"bulwark-restore-{hex}.dump"),
            Path.Combine(state, "spool", $"bulwark-restore-{int.MaxValue}-{hex}.dump"),
            Path.Combine(state, "spool", $"bulwark-restore-{int.MaxValue}-{hex}.list"),
            Path.Combine(output, $".result.dump.{hex}.partial"),
        };
        var kept = new[]
        {
            Path.Combine(state, "alerts.json.4343.tmp"),
            Path.Combine(state, "spool", $"bulwark-restore-{new string('b', 32)}.dump"),
            // an old spool file whose process still runs (a parallel pg_restore reads it for hours)
            Path.Combine(state, "spool", $"bulwark-restore-{Environment.ProcessId}-{new string('c', 32)}.dump"),
            Path.Combine(output, $".result.dump.{new string('b', 32)}.partial"),
            Path.Combine(output, "notes.partial"),
            // a parallel restore's list of items for pg_restore, kept as its spool file is
            Path.Combine(state, "spool", $"bulwark-restore-{Environment.ProcessId}-{new string('d', 32)}.list"),
        };
        foreach (var file in old.Concat(kept))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "debris", Ct);
        }
        foreach (var file in old.Append(kept[2]).Append(kept[4]).Append(kept[5]))
            File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddHours(-2));

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = Path.Combine(output, "result.dump") }, null, Ct);

        Assert.All(old, file => Assert.False(File.Exists(file), file));
        Assert.All(kept, file => Assert.True(File.Exists(file), file));
        Assert.True(File.Exists(Path.Combine(output, "result.dump")));
    }

    [Fact]
    public async Task ADatabaseLeftByAKilledRestoreCreate_IsNamedAsSuch_ByTheNextTry()
    {
        using var bin = new TempDirectory("slowrestore");
        var (real, _) = await new PgTools().FindAsync("pg_restore", null, Ct);
        var started = bin.Combine("started");
        // Stands in for pg_restore until it is killed; the name of the sleeping process says whose it is.
        File.WriteAllText(bin.Combine("pg_restore"),
            $"#!/bin/bash\nif [ \"$1\" = --version ]; then exec {real} --version; fi\ntouch {started}\nexec -a {bin.Path}/waiting sleep 60\n");
        File.SetUnixFileMode(bin.Combine("pg_restore"), (UnixFileMode)Convert.ToInt32("755", 8));
        var source = await pg.CreateDatabaseAsync("tokill");
        await pg.ExecuteAsync(source, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
        var context = TestConfig.Context(_directory, pg.Url(source));
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"repository: ./repo\nstate: ./state\npostgres:\n  bin-dir: {bin.Path}\n", Ct);
        var cli = new CliRunner(_directory.Path);
        var target = pg.NewDatabaseName("killed");
        try
        {
            await cli.RunAsync(["restore", "latest", "--target", pg.Url(target), "--create"], process =>
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (!File.Exists(started) && DateTime.UtcNow < deadline)
                    Thread.Sleep(50);
                process.Kill(); // SIGKILL: no chance to drop what it created
            });
            KillLeftovers(bin.Path);
            Assert.StartsWith("bulwark: restore in progress since", await pg.ScalarAsync<string>("postgres",
                $"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{target}'"));

            var again = await cli.RunAsync("restore", "latest", "--target", pg.Url(target), "--create");
            Assert.True(again.ExitCode == 9, again.ToString());
            Assert.Contains($"database \"{target}\" already exists", again.Stderr);
            Assert.Contains("left by an interrupted restore (started 20", again.Stderr);
            Assert.Contains($"DROP DATABASE \"{target}\"", again.Stderr);
        }
        finally
        {
            KillLeftovers(bin.Path);
            await pg.ExecuteAsync("postgres", $"DROP DATABASE IF EXISTS \"{target}\" WITH (FORCE)");
        }
    }

    [Fact]
    public async Task ACompletedRestoreCreate_LeavesNoInterruptedMark()
    {
        var source = await pg.CreateDatabaseAsync("marked");
        await pg.ExecuteAsync(source, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
        var context = TestConfig.Context(_directory, pg.Url(source));
        await new InitOperation(context).RunAsync(null, _directory.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var target = pg.NewDatabaseName("unmarked");

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true }, null, Ct);
        Assert.Equal(1L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM t"));
        Assert.Null(await pg.ScalarAsync<string>("postgres", $"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{target}'"));
    }

    /// <summary>The sleeping stand-in for pg_restore outlives the killed bulwark: end it.</summary>
    private static void KillLeftovers(string binPath)
    {
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
                continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (!commandLine.Contains(binPath, StringComparison.Ordinal))
                continue;
            try
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
            }
        }
    }
}
