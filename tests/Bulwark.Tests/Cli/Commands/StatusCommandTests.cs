using System.Text.Json;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Status_ShowsLastBackup_Trend_Schedule_Retention_AndHealth_OnOneScreen()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        for (var i = 0; i < 35; i++)
            await repo.AddSnapshotAsync(Enumerable.Range(i, 10 + i % 5), now.AddHours(-3).AddDays(i - 34), fast: true);
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"),
            "repository: ./repo\nstate: ./state\nschedule:\n  time-zone: UTC\n  cleanup: off\ncheck:\n  disk-free-warning: off\n  disk-free-critical: off\n",
            TestContext.Current.CancellationToken);
        var cli = new CliRunner(_directory.Path);
        var result = await cli.RunAsync("status");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Stdout.Split('\n');
        Assert.True(lines.Length < 25, result.Stdout);
        Assert.Contains("35 snapshots (app 35)", result.Stdout);
        Assert.Contains("Last backup", result.Stdout);
        Assert.Contains("3 h ago", result.Stdout);
        var sizes = lines.Single(l => l.StartsWith("Sizes", StringComparison.Ordinal));
        Assert.Contains("(last 30 of app)", sizes);
        Assert.Equal(30, sizes.Count(c => c is >= '▁' and <= '█'));
        Assert.Contains(lines, l => l.StartsWith("Durations", StringComparison.Ordinal));
        Assert.Contains("backup   0 2 * * *", result.Stdout);
        Assert.Contains("max-age 30d, max-count 100", result.Stdout);
        Assert.Contains("cleanup would remove 5", result.Stdout);
        Assert.Contains("Health", result.Stdout);

        var json = JsonDocument.Parse((await cli.RunAsync("status", "--json")).Stdout).RootElement;
        Assert.Equal(35, json.GetProperty("snapshots").GetInt32());
        Assert.Equal(30, json.GetProperty("recent").GetArrayLength());
        Assert.Equal(30, json.GetProperty("retention").GetProperty("kept").GetInt32());
    }
}
