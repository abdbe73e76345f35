using System.Diagnostics;
using Bulwark.Sources.Postgres.Physical;

namespace Bulwark.Tests.Sources.Postgres.Physical;

public sealed class RecoveryConfigTests
{
    [Fact]
    public async Task ShellCommand_PassesPathsWithSpacesQuotesAndPercentAsOneWordEach()
    {
        var words = new[] { "/opt/my tools/it's 100%/bulwark", "wal", "fetch", "%f", "%p", "--config", "/etc/b\\ulwark.yml" };
        var command = RecoveryConfig.ShellCommand(["printf", "[%s]\\n", .. words[1..]]);
        Assert.Contains("100", RecoveryConfig.ShellCommand(words));
        // What PostgreSQL does with restore_command: %% becomes %, %f and %p the file names; then /bin/sh runs it.
        var expanded = command.Replace("%f", "000000010000000000000003", StringComparison.Ordinal)
            .Replace("%p", "pg_wal/RECOVERYXLOG", StringComparison.Ordinal).Replace("%%", "%", StringComparison.Ordinal);
        var info = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(expanded);
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal("[wal]\n[fetch]\n[000000010000000000000003]\n[pg_wal/RECOVERYXLOG]\n[--config]\n[/etc/b\\ulwark.yml]\n", output);

        var first = RecoveryConfig.ShellCommand(words[..1]).Replace("%%", "%", StringComparison.Ordinal);
        info.ArgumentList[1] = $"printf '%s' {first}";
        using var again = Process.Start(info)!;
        Assert.Equal("/opt/my tools/it's 100%/bulwark", await again.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(3, 126)]
    [InlineData(10, 126)]
    [InlineData(125, 126)]
    [InlineData(143, 143)]
    public async Task FetchCommand_KeepsNotArchived_AndMakesOtherFailuresFatalForRecovery(int fetchStatus, int commandStatus)
    {
        // As PostgreSQL runs restore_command: through /bin/sh, after replacing %f, %p and %%.
        var command = RecoveryConfig.FetchCommand(["sh", "-c", $"exit {fetchStatus}", "%f", "%p"])
            .Replace("%f", "000000010000000000000003", StringComparison.Ordinal).Replace("%p", "pg_wal/RECOVERYXLOG", StringComparison.Ordinal)
            .Replace("%%", "%", StringComparison.Ordinal);
        var info = new ProcessStartInfo("/bin/sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(command);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.Equal(commandStatus, process.ExitCode);
    }

    [Fact]
    public void Quote_DoublesQuotesAndEscapesBackslashes_ForPostgresqlConf()
    {
        Assert.Equal("'it''s a \\\\ b'", RecoveryConfig.Quote("it's a \\ b"));
    }

    [Theory]
    [InlineData("0/2000028", 16 * 1024 * 1024, 1, "000000010000000000000002")]
    [InlineData("1/FF000000", 16 * 1024 * 1024, 2, "0000000200000001000000FF")]
    [InlineData("0/0", 64 * 1024 * 1024, 3, "000000030000000000000000")]
    public void Lsn_ParsesPrintsAndNamesItsSegment(string text, long segmentSize, int timeline, string segment)
    {
        var lsn = Lsn.Parse(text);
        Assert.Equal(text, lsn.ToString());
        Assert.Equal(segment, lsn.SegmentFileName(timeline, segmentSize));
        Assert.False(Lsn.TryParse("0-1", out _));
    }
}
