using System.Diagnostics;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;
using Npgsql;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>
/// 'wal push' and 'wal fetch' through the real program: as a real server's archive_command, and by hand for the
/// refusals, the quiet "not found", and a push killed mid-write.
/// </summary>
public sealed class WalCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new("bulwark-wal");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private string Config => _directory.Combine("bulwark.yml");

    private async Task<CliRunner> SetUpAsync(string extra = "")
    {
        await File.WriteAllTextAsync(Config, $"""
            repository: {_directory.Combine("repo")}
            state: {_directory.Combine("state")}
            {extra}
            """, Ct);
        File.SetUnixFileMode(Config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(_directory.Path);
        var init = await cli.RunAsync("init", "--config", Config);
        Assert.True(init.ExitCode == 0, init.ToString());
        return cli;
    }

    private static byte[] RandomBytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ArchiveCommand_ArchivesEverySegment_AndFetchGivesThemBackByteEqual(bool asyncMode)
    {
        await SetUpAsync();
        // The server runs as 'postgres' when the tests run as root: it must read the configuration and write the repository.
        if (Environment.UserName == "root")
            await ChownAsync(_directory.Path);
        var archiveCommand = $"dotnet {CliRunner.ProgramPath} wal push %p{(asyncMode ? " --async" : "")} --config {Config}";
        await using var server = await LocalPostgresServer.StartAsync(_directory.Path, settings: new Dictionary<string, string>
        {
            ["archive_mode"] = "on",
            ["archive_command"] = $"'{archiveCommand}'",
            ["wal_keep_size"] = "'1GB'",
        }, cancellationToken: Ct);
        await using var connection = new NpgsqlConnection(server.Settings("postgres").ToNpgsql().ConnectionString);
        await connection.OpenAsync(Ct);
        var switched = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            await ExecuteAsync(connection, $"CREATE TABLE t{i} AS SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
            switched.Add((string)(await ScalarAsync(connection, "SELECT pg_walfile_name(pg_current_wal_lsn())"))!);
            await ExecuteAsync(connection, "SELECT pg_switch_wal()");
        }
        await WaitArchivedAsync(connection, switched[^1], server);

        var cli = new CliRunner(_directory.Path);
        foreach (var name in switched)
        {
            var target = _directory.Combine("fetched-" + name);
            var fetch = await cli.RunAsync("wal", "fetch", name, target, "--config", Config);
            Assert.True(fetch.ExitCode == 0, fetch.ToString());
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(server.DataDirectory, "pg_wal", name), Ct),
                await File.ReadAllBytesAsync(target, Ct));
        }
        Assert.Equal(0L, (long)(await ScalarAsync(connection, "SELECT failed_count FROM pg_stat_archiver"))!);
        if (asyncMode)
        {
            var spool = Directory.GetDirectories(_directory.Combine("state", "wal-async")).Single();
            Assert.True(Directory.Exists(Path.Combine(spool, "done")), "the background pusher did not run");
        }
    }

    [Fact]
    public async Task Push_OfTheSameNameWithOtherContent_ExitsWith11_RaisesAnAlert_AndOverwritesNothing()
    {
        var alerts = _directory.Combine("alerts");
        Directory.CreateDirectory(alerts);
        var cli = await SetUpAsync($"""
            alerts:
              on-failure: "cat > {alerts}/alert.json"
            """);
        var segment = _directory.Combine("000000010000000000000007");
        var first = RandomBytes(1 << 20, 1);
        await File.WriteAllBytesAsync(segment, first, Ct);
        var push = await cli.RunAsync("wal", "push", segment, "--config", Config);
        Assert.True(push.ExitCode == 0, push.ToString());
        var again = await cli.RunAsync("wal", "push", segment, "--config", Config);
        Assert.True(again.ExitCode == 0, again.ToString());

        await File.WriteAllBytesAsync(segment, RandomBytes(1 << 20, 2), Ct);
        var conflict = await cli.RunAsync("wal", "push", segment, "--config", Config);

        EncryptedRepositoryCliTests.AssertOneLineError(conflict, 11, "000000010000000000000007 is already archived");
        Assert.Contains("000000010000000000000007", await File.ReadAllTextAsync(Path.Combine(alerts, "alert.json"), Ct));
        var fetched = _directory.Combine("fetched");
        var fetch = await cli.RunAsync("wal", "fetch", "000000010000000000000007", fetched, "--config", Config);
        Assert.True(fetch.ExitCode == 0, fetch.ToString());
        Assert.Equal(first, await File.ReadAllBytesAsync(fetched, Ct));
        Assert.Contains("\"operation\":\"wal-push\"", await File.ReadAllTextAsync(_directory.Combine("state", "operations.jsonl"), Ct));
    }

    [Fact]
    public async Task Fetch_OfAFileNotArchived_Exits1Quietly_AndWritesNothing()
    {
        var cli = await SetUpAsync();

        var segment = await cli.RunAsync("wal", "fetch", "000000010000000000000042", _directory.Combine("RECOVERYXLOG"), "--config", Config);
        var history = await cli.RunAsync("wal", "fetch", "00000002.history", _directory.Combine("RECOVERYHISTORY"), "--config", Config);

        Assert.True(segment.ExitCode == 1, segment.ToString());
        Assert.True(segment.Stderr.Trim().Split('\n').Length == 1, segment.ToString());
        Assert.DoesNotContain("error", segment.Stderr);
        Assert.True(history.ExitCode == 1, history.ToString());
        Assert.Equal("", history.Stderr.Trim());
        Assert.False(File.Exists(_directory.Combine("RECOVERYXLOG")));
        Assert.False(File.Exists(_directory.Combine("RECOVERYHISTORY")));
    }

    [Fact]
    public async Task Fetch_OfAnotherFailure_IsLoud()
    {
        var cli = await SetUpAsync();
        var segment = _directory.Combine("000000010000000000000008");
        await File.WriteAllBytesAsync(segment, RandomBytes(4096, 1), Ct);
        Assert.Equal(0, (await cli.RunAsync("wal", "push", segment, "--config", Config)).ExitCode);
        var stored = _directory.Combine("repo", "wal", "00000001", "000000010000000000000008");
        var bytes = await File.ReadAllBytesAsync(stored, Ct);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(stored, bytes, Ct);

        var fetch = await cli.RunAsync("wal", "fetch", "000000010000000000000008", _directory.Combine("out"), "--config", Config);

        EncryptedRepositoryCliTests.AssertOneLineError(fetch, 10, "damaged");
        Assert.False(File.Exists(_directory.Combine("out")));
    }

    [Fact]
    public async Task KillNine_OfAPushMidWrite_LeavesNothingUnderTheName_AndTheRetrySucceeds()
    {
        var cli = await SetUpAsync();
        var walFolder = _directory.Combine("repo", "wal", "00000001");
        var content = RandomBytes(128 << 20, 5);
        var caughtMidWrite = false;
        for (var trial = 0; trial < 5 && !caughtMidWrite; trial++)
        {
            var name = $"0000000100000000000000{trial:X2}";
            var segment = _directory.Combine(name);
            await File.WriteAllBytesAsync(segment, content, Ct);
            var killed = await cli.RunAsync(["wal", "push", segment, "--config", Config], process =>
            {
                // Kill as soon as the object's temporary file appears: the put has begun and not finished.
                var watch = Stopwatch.StartNew();
                while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(2))
                {
                    if (Directory.Exists(walFolder) && Directory.EnumerateFiles(walFolder, $".{name}.*").Any())
                    {
                        process.Kill();
                        caughtMidWrite = true;
                        return;
                    }
                    Thread.Sleep(1);
                }
            });
            if (!caughtMidWrite)
                continue;
            Assert.NotEqual(0, killed.ExitCode);
            Assert.False(File.Exists(Path.Combine(walFolder, name)), "a killed push left an object under the segment's name");
            var fetch = await cli.RunAsync("wal", "fetch", name, _directory.Combine("out"), "--config", Config);
            Assert.True(fetch.ExitCode == 1, fetch.ToString());

            var retry = await cli.RunAsync("wal", "push", segment, "--config", Config);
            Assert.True(retry.ExitCode == 0, retry.ToString());
            fetch = await cli.RunAsync("wal", "fetch", name, _directory.Combine("out"), "--config", Config);
            Assert.True(fetch.ExitCode == 0, fetch.ToString());
            var back = await File.ReadAllBytesAsync(_directory.Combine("out"), Ct);
            Assert.True(content.AsSpan().SequenceEqual(back), "the fetched segment differs from the pushed one");
        }
        Assert.True(caughtMidWrite, "no push was caught while it wrote its object");
    }

    private static async Task WaitArchivedAsync(NpgsqlConnection connection, string name, LocalPostgresServer server)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var last = await ScalarAsync(connection, "SELECT last_archived_wal FROM pg_stat_archiver") as string;
            if (last is not null && string.CompareOrdinal(last, name) >= 0)
                return;
            if (watch.Elapsed > TimeSpan.FromMinutes(3))
                Assert.Fail($"{name} was not archived in 3 minutes (last: {last}); server log:\n" +
                            string.Join('\n', File.ReadLines(server.LogFile).TakeLast(20)));
            await Task.Delay(200, Ct);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }

    internal static async Task ChownAsync(string path)
    {
        using var chown = Process.Start("chown", ["-R", "postgres:", path]);
        await chown.WaitForExitAsync(Ct);
        Assert.Equal(0, chown.ExitCode);
    }
}
