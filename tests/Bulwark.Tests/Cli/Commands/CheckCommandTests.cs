using System.Text.Json;
using Bulwark.Operations.Health;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>'bulwark check' as monitoring systems run it: exit codes 0-3, one Nagios line, JSON.</summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private async Task<CliRunner> SetUpAsync(int snapshots, TimeSpan newestAge, string extra = "")
    {
        var now = DateTimeOffset.UtcNow;
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        for (var i = 0; i < snapshots; i++)
            await repo.AddSnapshotAsync(Enumerable.Range(i, 10), now - newestAge - TimeSpan.FromDays(snapshots - 1 - i));
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            check:
              disk-free-warning: off
              disk-free-critical: off
            {extra}
            """, TestContext.Current.CancellationToken);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite); // else 'permissions' warns
        return new CliRunner(_directory.Path);
    }

    [Fact]
    public async Task ExitCodes_FollowTheMonitoringConvention()
    {
        var cli = await SetUpAsync(0, TimeSpan.Zero);
        var none = await cli.RunAsync("check");
        Assert.True(none.ExitCode == 2, none.ToString());
        Assert.Contains("CRITICAL", none.Stdout);
        Assert.Contains("hint (backup-age)", none.Stdout);

        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo2"));
        await repo.AddSnapshotAsync([1, 2, 3], DateTimeOffset.UtcNow.AddHours(-2));
        var ok = await cli.RunAsync("check", "--repo", _directory.Combine("repo2"));
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Contains("OK: ", ok.Stdout);
    }

    [Fact]
    public async Task Warning_AsNagiosLine_AndAsJson()
    {
        var cli = await SetUpAsync(5, TimeSpan.FromHours(30));
        var nagios = await cli.RunAsync("check", "--nagios");
        Assert.True(nagios.ExitCode == 1, nagios.ToString());
        var line = Assert.Single(nagios.Stdout.TrimEnd('\n').Split('\n'));
        Assert.StartsWith("BULWARK WARNING - backup-age: the last backup of app is 30 h old", line);
        Assert.Matches(@" \| 'backup_age'=10800\ds;93600;180000;0 ", line);

        var json = await cli.RunAsync("check", "--json");
        Assert.Equal(1, json.ExitCode);
        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal("warning", root.GetProperty("status").GetString());
        Assert.Equal(1, root.GetProperty("exitCode").GetInt32());
        var age = root.GetProperty("findings").EnumerateArray().Single(f => f.GetProperty("check").GetString() == HealthCheckNames.BackupAge);
        Assert.Equal("warning", age.GetProperty("status").GetString());
        Assert.False(string.IsNullOrEmpty(age.GetProperty("advice").GetString()));
    }

    [Fact]
    public async Task ReadDataSubset_ReadsPartOfTheData()
    {
        var cli = await SetUpAsync(3, TimeSpan.FromHours(1));
        var result = await cli.RunAsync("check", "--read-data-subset", "50");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("50% of its data read back and checked (5 chunks", result.Stdout);
    }

    [Theory]
    [InlineData("check --read-data-subset abc")]
    [InlineData("check --read-data-subset 150")]
    [InlineData("check --no-such-option")]
    public async Task UsageErrors_AreUnknown(string arguments)
    {
        var cli = await SetUpAsync(1, TimeSpan.FromHours(1));
        var result = await cli.RunAsync(arguments.Split(' '));
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("error:", result.Stderr);
    }

    [Fact]
    public async Task ConfigurationErrors_AreUnknown_WithTheKeyAndLine()
    {
        var cli = await SetUpAsync(1, TimeSpan.FromHours(1), "  size-window: 1\n");
        var result = await cli.RunAsync("check", "--nagios");
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.StartsWith("BULWARK UNKNOWN - ", result.Stdout);
        Assert.Contains("bulwark.yml:6: 'check.size-window'", result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Alert_SendsWhatIsNotOk_Once()
    {
        using var listener = new WebhookListener();
        var cli = await SetUpAsync(3, TimeSpan.FromHours(60), $"alerts:\n  webhook: {listener.Url()}\n");
        Assert.Equal(2, (await cli.RunAsync("check")).ExitCode);
        Assert.Empty(listener.Requests);
        var first = await cli.RunAsync("check", "--alert");
        Assert.Equal(2, first.ExitCode);
        Assert.Contains("alert sent to webhook at 127.0.0.1", first.Stderr);
        var body = JsonDocument.Parse((await listener.NextAsync()).Body).RootElement;
        Assert.Equal("CRITICAL", body.GetProperty("status").GetString());
        var second = await cli.RunAsync("check", "--alert");
        Assert.Equal(2, second.ExitCode);
        Assert.DoesNotContain("alert sent", second.Stderr);
        Assert.Empty(listener.Requests); // the program has ended: whatever it posted has arrived
    }
}
