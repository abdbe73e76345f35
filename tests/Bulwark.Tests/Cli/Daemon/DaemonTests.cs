using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Daemon;

/// <summary>The real 'bulwark daemon' in a child process: HTTP on 127.0.0.1, real jobs, SIGTERM.</summary>
public sealed class DaemonTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    public void Dispose() => _directory.Dispose();

    /// <summary>The job states of the configuration in the test's folder, as the program finds them.</summary>
    private JobStateStore States() =>
        JobStateStore.For(new Bulwark.Operations.BulwarkContext(ConfigLoader.Load(null, _directory.Path, _ => null)));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static void Signal(Process process, string signal) =>
        Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>Polls until <paramref name="condition"/> holds for a response of <paramref name="path"/>.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> GetWhenAsync(int port, string path,
        Func<HttpStatusCode, string, bool> condition, int seconds = 90)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        (HttpStatusCode, string) last = default;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await Http.GetAsync($"http://127.0.0.1:{port}{path}");
                last = (response.StatusCode, await response.Content.ReadAsStringAsync());
                if (condition(last.Item1, last.Item2))
                    return last;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{path} never satisfied the condition; last: {last.Item1} {last.Item2}");
    }

    /// <summary>A job state whose last run was two days ago: the daemon has missed a run and catches it up at start.</summary>
    private void MissedBackup()
    {
        States().Write(new JobState
        {
            Job = "backup", WatchedSince = DateTimeOffset.UtcNow.AddDays(-10), LastStart = DateTimeOffset.UtcNow.AddDays(-2),
            LastEnd = DateTimeOffset.UtcNow.AddDays(-2).AddMinutes(1), LastOutcome = "ok",
        });
    }

    /// <summary>A configuration whose daemon listens on <paramref name="port"/> and schedules only the check job.</summary>
    private Task WriteCheckOnlyConfigAsync(int port) => File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
        repository: ./repo
        state: ./state
        schedule:
          backup: off
          cleanup: off
          drill: off
        check:
          disk-free-warning: off
          disk-free-critical: off
        daemon:
          listen: 127.0.0.1:{port}
        """, Ct);

    [Fact]
    public async Task ServesHealthMetricsAndStatus_OverHttp_AndStopsOnSigterm()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        for (var i = 0; i < 3; i++)
            await repo.AddSnapshotAsync(Enumerable.Range(i, 10), DateTimeOffset.UtcNow.AddHours(-2).AddDays(i - 2));
        var port = FreePort();
        await WriteCheckOnlyConfigAsync(port);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite); // else 'permissions' warns
        string health = "", metrics = "", status = "";
        var result = await new CliRunner(_directory.Path).RunAsync(["daemon"], process =>
        {
            try
            {
                health = GetWhenAsync(port, "/health", (code, body) => code == HttpStatusCode.OK).GetAwaiter().GetResult().Body;
                metrics = GetWhenAsync(port, "/metrics", (_, body) => body.Contains("bulwark_health_status", StringComparison.Ordinal)).GetAwaiter().GetResult().Body;
                status = GetWhenAsync(port, "/status", (code, _) => code == HttpStatusCode.OK).GetAwaiter().GetResult().Body;
            }
            finally
            {
                Signal(process, "TERM");
            }
        }, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"listening on http://127.0.0.1:{port}", result.Stdout);
        Assert.Contains("stopped", result.Stdout);

        var h = JsonDocument.Parse(health).RootElement;
        Assert.Equal("ok", h.GetProperty("status").GetString());
        Assert.Contains(h.GetProperty("findings").EnumerateArray(), f => f.GetProperty("check").GetString() == HealthCheckNames.BackupAge);
        Assert.Equal(["check"], h.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("job").GetString()));
        Assert.Contains("# TYPE bulwark_health_status gauge", metrics);
        Assert.Contains("\nbulwark_health_status 0\n", metrics);
        Assert.Contains("\nbulwark_snapshots 3\n", metrics);
        Assert.Matches(@"\nbulwark_backup_age_seconds 7\d\d\d\n", metrics);
        Assert.Contains("bulwark_check_status{check=\"backup-age\"} 0", metrics);
        Assert.Contains("bulwark_job_next_run_timestamp_seconds{job=\"check\"}", metrics);
        // The daemon's own memory, as the kernel and the GC see it.
        Assert.Matches(@"bulwark_daemon_memory_bytes\{kind=""resident""\} [1-9]\d{6,}", metrics);
        // The GC's numbers are those of its last collection: none may have run yet.
        Assert.Matches(@"bulwark_daemon_memory_bytes\{kind=""gc_heap""\} \d", metrics);
        var s = JsonDocument.Parse(status).RootElement;
        Assert.Equal(3, s.GetProperty("snapshots").GetInt32());
        Assert.Equal(3, s.GetProperty("recent").GetArrayLength());
    }

    [Fact]
    public async Task FirstPage_WaitsForTheFirstHealthCheck_SoEachManifestIsReadOnce()
    {
        // Enough snapshots that a first page made beside the first health check would read manifests it also reads.
        const int snapshots = 150;
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        for (var i = 0; i < snapshots; i++)
            await repo.AddSnapshotAsync(Enumerable.Range(i % 10, 3), DateTimeOffset.UtcNow.AddHours(-2).AddMinutes(i - snapshots), fast: true);
        var port = FreePort();
        await WriteCheckOnlyConfigAsync(port);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string status = "";
        var result = await new CliRunner(_directory.Path).RunAsync(["--verbose", "daemon"], process =>
        {
            try
            {
                status = GetWhenAsync(port, "/status", (code, _) => code == HttpStatusCode.OK).GetAwaiter().GetResult().Body;
            }
            finally
            {
                Signal(process, "TERM");
            }
        }, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());

        // --verbose logs every storage call: each manifest was read once, by the health check, and the page read the cache.
        var reads = Regex.Matches(result.Stderr, @"get snapshots/[0-9a-f]{64} ").Count;
        Assert.Equal(snapshots, reads);
        var page = JsonDocument.Parse(status).RootElement;
        Assert.Equal(snapshots, page.GetProperty("snapshots").GetInt32());
        // The page shows the scheduler's full check (with its integrity finding), not a quick one of its own.
        Assert.Contains(page.GetProperty("health").GetProperty("findings").EnumerateArray(),
            f => f.GetProperty("check").GetString() == HealthCheckNames.Integrity);
        Assert.Contains("debug: memory (MiB): resident ", result.Stdout);
    }

    [Fact]
    public async Task EncryptedRepository_IsUnlockedOnce_AndParallelRequestsShareOneStatus()
    {
        var repo = await SyntheticRepository.CreateEncryptedAsync(_directory.Combine("repo"), "daemon secret");
        await repo.AddSnapshotAsync(Enumerable.Range(0, 10), DateTimeOffset.UtcNow.AddHours(-1));
        await repo.Repository.DisposeAsync();
        var counter = _directory.Combine("unlocks");
        var port = FreePort();
        await WriteCheckOnlyConfigAsync(port);
        var responses = new List<(string Path, HttpStatusCode Status, string Body)>();
        var cli = new CliRunner(_directory.Path).With("BULWARK_PASSWORD_COMMAND", $"echo run >> {counter}; echo 'daemon secret'");
        var result = await cli.RunAsync(["daemon"], process =>
        {
            try
            {
                GetWhenAsync(port, "/health", (code, _) => code == HttpStatusCode.OK).GetAwaiter().GetResult();
                var requests = new[] { "/status", "/health", "/metrics" }
                    .SelectMany(path => Enumerable.Range(0, 16).Select(async _ =>
                    {
                        using var response = await Http.GetAsync($"http://127.0.0.1:{port}{path}");
                        return (path, response.StatusCode, await response.Content.ReadAsStringAsync());
                    }))
                    .ToList();
                responses.AddRange(Task.WhenAll(requests).GetAwaiter().GetResult());
            }
            finally
            {
                Signal(process, "TERM");
            }
        }, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(48, responses.Count);
        Assert.All(responses, r => Assert.True(r.Status == HttpStatusCode.OK, $"{r.Path}: {r.Status} {r.Body}"));
        // One unlock for the daemon's life: the health check, the status and every request share its key.
        Assert.Equal(["run"], await File.ReadAllLinesAsync(counter, Ct));
        Assert.Single(responses.Where(r => r.Path == "/status").Select(r => r.Body).Distinct());
        Assert.Single(responses.Where(r => r.Path == "/health").Select(r => r.Body).Distinct());
        var status = JsonDocument.Parse(responses.First(r => r.Path == "/status").Body).RootElement;
        Assert.Equal(1, status.GetProperty("snapshots").GetInt32());
        Assert.Empty(status.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task CatchesUpAMissedBackup_AtStart_AndReportsItInMetrics()
    {
        var database = await pg.CreateDatabaseAsync("daemon");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;");
        var port = FreePort();
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            postgres:
              url: {pg.Url(database)}
            schedule:
              check: off
              cleanup: off
              drill: off
            daemon:
              listen: 127.0.0.1:{port}
            """, Ct);
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        MissedBackup();
        string metrics = "";
        var result = await cli.RunAsync(["daemon"], process =>
        {
            try
            {
                metrics = GetWhenAsync(port, "/metrics", (_, body) => body.Contains("bulwark_job_runs_total{job=\"backup\",outcome=\"ok\"} 1", StringComparison.Ordinal)).GetAwaiter().GetResult().Body;
            }
            finally
            {
                Signal(process, "TERM");
            }
        }, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("backup: the run due at", result.Stdout);
        Assert.Contains("backup: ok after", result.Stdout);
        Assert.Contains("bulwark_job_last_run_ok{job=\"backup\"} 1", metrics);
        var list = await cli.RunAsync("list", "--json");
        Assert.Single(JsonDocument.Parse(list.Stdout).RootElement.GetProperty("snapshots").EnumerateArray());
        var state = States().Read("backup")!;
        Assert.Equal("catch-up", state.LastTrigger);
    }

    [Theory]
    [InlineData("0s", false)]   // cancelled at once: nothing is committed
    [InlineData("5min", true)]  // allowed to finish: the snapshot is committed
    public async Task Sigterm_DuringABackup_FinishesItWithinTheTimeout_OrCancelsItCleanly(string timeout, bool committed)
    {
        using var bin = new TempDirectory("slowbin");
        var (real, _) = await new PgTools().FindAsync("pg_dump", null, Ct);
        var marker = bin.Combine("started");
        var pause = committed ? 3 : 60;
        File.WriteAllText(bin.Combine("pg_dump"), $"#!/bin/bash\nif [ \"$1\" = --version ]; then exec {real} --version; fi\ntouch {marker}\nsleep {pause}\nexec {real} \"$@\"\n");
        File.SetUnixFileMode(bin.Combine("pg_dump"), (UnixFileMode)Convert.ToInt32("755", 8));
        var database = await pg.CreateDatabaseAsync("sigterm");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 100);");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            postgres:
              url: {pg.Url(database)}
              bin-dir: {bin.Path}
            schedule:
              check: off
              cleanup: off
              drill: off
            daemon:
              listen: off
              shutdown-timeout: {timeout}
            """, Ct);
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        MissedBackup();
        var result = await cli.RunAsync(["daemon"], process =>
        {
            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (!File.Exists(marker) && DateTime.UtcNow < deadline)
                Thread.Sleep(50);
            Signal(process, "TERM");
        }, TimeSpan.FromMinutes(3));
        Assert.True(result.ExitCode == 0, result.ToString());
        var snapshots = JsonDocument.Parse((await cli.RunAsync("list", "--json")).Stdout).RootElement.GetProperty("snapshots").GetArrayLength();
        var state = States().Read("backup")!;
        Assert.Empty(Directory.EnumerateFiles(_directory.Combine("repo", "locks")));
        if (committed)
        {
            Assert.Equal(1, snapshots);
            Assert.Equal("ok", state.LastOutcome);
            Assert.Contains("waiting up to 5 min for backup to finish", result.Stdout);
        }
        else
        {
            Assert.Equal(0, snapshots);
            Assert.Equal("cancelled", state.LastOutcome);
            Assert.Contains("\"outcome\": \"cancelled\"", (await cli.RunAsync("log", "--json")).Stdout);
        }
        Assert.DoesNotContain("   at ", result.Stdout + result.Stderr);
    }
}

/// <summary>The scheduled jobs on a real database, as crontab entries and systemd units run them.</summary>
public sealed class ScheduledJobTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task BackupThenDrill_AsScheduled_AndCheckReportsTheDrill()
    {
        var database = await pg.CreateDatabaseAsync("jobs");
        await pg.ExecuteAsync(database, "CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 500) g;");
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            $"repository: ./repo\nstate: ./state\npostgres:\n  url: {pg.Url(database)}\ncheck:\n  disk-free-warning: off\n  disk-free-critical: off\n",
            TestContext.Current.CancellationToken);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite); // else 'permissions' warns
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init")).ExitCode);
        var backup = await cli.RunAsync("schedule", "run", "backup", "--scheduled");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Contains("backup: ok: snapshot ", backup.Stdout);
        var drill = await cli.RunAsync("schedule", "run", "drill", "--scheduled");
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("restored and identical: 1 table, 500 rows", drill.Stdout);
        var check = await cli.RunAsync("check", "--json");
        Assert.True(check.ExitCode == 0, check.ToString());
        var findings = JsonDocument.Parse(check.Stdout).RootElement.GetProperty("findings").EnumerateArray().ToList();
        var drillFinding = findings.Single(f => f.GetProperty("check").GetString() == HealthCheckNames.Drill);
        Assert.Equal("ok", drillFinding.GetProperty("status").GetString());
        Assert.Contains("passed", drillFinding.GetProperty("summary").GetString());
    }
}
