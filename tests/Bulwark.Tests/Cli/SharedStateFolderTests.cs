using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Bulwark.Operations.Health;
using Bulwark.Operations.Health.Checks;
using Bulwark.Operations.Logging;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli;

/// <summary>
/// Several repositories used with '--repo' and no configuration file share the default state folder (its operations
/// log and job states): each one's health and status show only its own runs.
/// </summary>
public sealed class SharedStateFolderTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static JsonElement Operations(CliResult check) =>
        JsonDocument.Parse(check.Stdout).RootElement.GetProperty("findings").EnumerateArray()
            .Single(f => f.GetProperty("check").GetString() == HealthCheckNames.Operations);

    private static JsonElement? LastBackupRun(CliResult status)
    {
        var job = JsonDocument.Parse(status.Stdout).RootElement.GetProperty("jobs").EnumerateArray()
            .Single(j => j.GetProperty("job").GetString() == "backup");
        return job.TryGetProperty("last", out var last) && last.ValueKind == JsonValueKind.Object ? last : null;
    }

    [Fact]
    public async Task CheckAndStatus_ShowOnlyTheFailuresOfTheirOwnRepository()
    {
        // HOME and XDG_STATE_HOME are the test's folder for every run: one state folder for all of them.
        var cli = new CliRunner(_directory.Path);
        Assert.Equal(0, (await cli.RunAsync("init", "--repo", "a")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("init", "--repo", "b")).ExitCode);
        File.Delete(_directory.Combine("bulwark.yml")); // the one 'init' writes: from here on, '--repo' alone
        var unreachable = new CliRunner(_directory.Path).With("PGHOST", "127.0.0.1").With("PGPORT", "1");
        var scheduled = await unreachable.RunAsync("schedule", "run", "backup", "--scheduled", "--repo", "a");
        Assert.True(scheduled.ExitCode == 5, scheduled.ToString());
        // A backup without any repository, and one against a location where there is none.
        Assert.NotEqual(0, (await unreachable.RunAsync("backup")).ExitCode);
        Assert.NotEqual(0, (await unreachable.RunAsync("backup", "--repo", "c")).ExitCode);
        var log = await cli.RunAsync("log", "--json");
        Assert.Equal(3, log.Stdout.Split("\"failed\"").Length - 1);

        var checkB = Operations(await cli.RunAsync("check", "--json", "--repo", "b"));
        Assert.True(checkB.GetProperty("status").GetString() == "ok", checkB.ToString());
        Assert.Null(LastBackupRun(await cli.RunAsync("status", "--json", "--repo", "b")));

        var checkA = Operations(await cli.RunAsync("check", "--json", "--repo", "a"));
        Assert.Equal("warning", checkA.GetProperty("status").GetString());
        Assert.Contains("backup failed once", checkA.GetProperty("summary").GetString());
        Assert.Contains("cannot connect", checkA.GetProperty("summary").GetString());
        var lastA = LastBackupRun(await cli.RunAsync("status", "--json", "--repo", "a"));
        Assert.NotNull(lastA);
        Assert.Equal("failed", lastA.Value.GetProperty("lastOutcome").GetString());
        Assert.Equal(1, lastA.Value.GetProperty("consecutiveFailures").GetInt32());

        // The daemon of B, from the same state folder, neither.
        var port = FreePort();
        string health = "";
        var daemon = await cli.RunAsync(["daemon", "--repo", "b", "--listen", $"127.0.0.1:{port}"], process =>
        {
            try
            {
                health = HealthWhenCheckedAsync(port).GetAwaiter().GetResult();
            }
            finally
            {
                Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            }
        }, TimeSpan.FromMinutes(3));
        Assert.True(daemon.ExitCode == 0, daemon.ToString());
        var h = JsonDocument.Parse(health).RootElement;
        var operations = h.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("check").GetString() == HealthCheckNames.Operations);
        Assert.Equal("ok", operations.GetProperty("status").GetString());
        var backupJob = h.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("job").GetString() == "backup");
        Assert.False(backupJob.TryGetProperty("lastOutcome", out _), backupJob.ToString());
        Assert.Equal(0, backupJob.GetProperty("consecutiveFailures").GetInt32());
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>/health once the first check has run (503: the repository holds no backup yet).</summary>
    private static async Task<string> HealthWhenCheckedAsync(int port)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow.AddSeconds(90);
        var last = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{port}/health");
                last = await response.Content.ReadAsStringAsync();
                if (last.Contains("\"operations\"", StringComparison.Ordinal))
                    return last;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"/health never showed a check; last: {last}");
    }

    [Fact]
    public void ALogRecord_BelongsToTheRepositoryItOpened_ElseToTheSameLocation()
    {
        static OperationRecord Record(string? location, string? id) => new()
        {
            Id = "r", Operation = "backup", Start = DateTimeOffset.UnixEpoch, End = DateTimeOffset.UnixEpoch,
            Outcome = OperationLog.Failed, DurationMs = 0, Repository = location, RepositoryId = id,
        };
        // Opened: the id decides, wherever the repository was reached from.
        Assert.True(OperationsCheck.IsOf(Record("/srv/a", "1111"), "/mnt/a", "1111"));
        Assert.False(OperationsCheck.IsOf(Record("/srv/a", "2222"), "/srv/a", "1111")); // another repository, made at the same place
        // Not opened (or written before ids): the same configured location, and only that.
        Assert.True(OperationsCheck.IsOf(Record("/srv/a", null), "/srv/a", "1111"));
        Assert.False(OperationsCheck.IsOf(Record("/srv/c", null), "/srv/a", "1111"));
        Assert.False(OperationsCheck.IsOf(Record(null, null), "/srv/a", "1111"));
        // A check that could not open its repository goes by the location alone.
        Assert.True(OperationsCheck.IsOf(Record("/srv/a", "2222"), "/srv/a", null));
        Assert.True(OperationsCheck.IsOf(Record(null, null), null, null));
    }
}
