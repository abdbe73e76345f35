using Bulwark.Sources.Processes;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Sources.Processes;

/// <summary>Running programs to their end through the one runner, with real programs (/bin/sh).</summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProcessRequest Shell(string script) => new() { FileName = "/bin/sh", Arguments = ["-c", script] };

    private async Task<int> StartedPidAsync(string file)
    {
        while (!File.Exists(file) || (await File.ReadAllTextAsync(file, Ct)).Trim().Length == 0)
            await Task.Delay(20, Ct);
        return int.Parse((await File.ReadAllTextAsync(file, Ct)).Trim());
    }

    /// <summary>Whether the process lives: not gone, and no zombie (a killed orphan may wait long to be reaped).</summary>
    private static bool Runs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A killed process is gone once the kernel has delivered the signal: wait for that, not for a time.</summary>
    private static async Task<bool> EndsAsync(int pid)
    {
        for (var i = 0; i < 500 && Runs(pid); i++)
            await Task.Delay(20, Ct);
        return !Runs(pid);
    }

    [Fact]
    public async Task RunAsync_FeedsTheInput_AndReturnsOutputErrorsAndExitCode()
    {
        var result = await ProcessRunner.RunAsync(Shell("tr a-z A-Z; echo first >&2; echo 'last words' >&2; exit 4") with
        {
            Input = "crontab line\n",
        }, Ct);

        Assert.False(result.TimedOut);
        Assert.Equal(4, result.ExitCode);
        Assert.Equal("CRONTAB LINE\n", result.Output);
        Assert.Equal(["first", "last words"], result.ErrorLines);
        Assert.Equal("last words", result.LastErrorLine);
    }

    [Fact]
    public async Task RunAsync_IsFine_WhenTheProgramDoesNotReadItsInput()
    {
        var result = await ProcessRunner.RunAsync(Shell("exit 0") with { Input = new string('x', 1 << 20) }, Ct);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task RunAsync_StopsTheProgramAndItsChildren_WhenItsTimeoutPassesOnTheGivenClock()
    {
        var time = new FakeTimeProvider();
        var pidFile = _directory.Combine("pid");
        var run = ProcessRunner.RunAsync(Shell($"sleep 600 & echo $! > {pidFile}; wait") with
        {
            Timeout = TimeSpan.FromSeconds(30),
            Time = time,
        }, Ct);
        var child = await StartedPidAsync(pidFile);
        Assert.False(run.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(31));
        var result = await run;

        Assert.True(result.TimedOut);
        Assert.True(await EndsAsync(child), "the program's child outlived the timeout");
    }

    [Fact]
    public async Task RunAsync_Throws_AndStopsTheProgram_WhenCancelled()
    {
        var pidFile = _directory.Combine("pid");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var run = ProcessRunner.RunAsync(Shell($"echo $$ > {pidFile}; exec sleep 600"), cancel.Token);
        var pid = await StartedPidAsync(pidFile);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.True(await EndsAsync(pid));
    }

    [Fact]
    public async Task RunAsync_TakesOurSecretsOutOfTheEnvironment_AndSetsWhatTheRequestSets()
    {
        // A name of its own, so that tests running beside this one see nothing of it.
        var secret = $"BULWARK_PASSWORD_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(secret, "s3cret");
        try
        {
            var result = await ProcessRunner.RunAsync(Shell("env") with
            {
                Environment = new Dictionary<string, string?> { ["BULWARK_ALERT_KIND"] = "problem", ["HOME"] = null },
            }, Ct);

            Assert.DoesNotContain(secret, result.Output);
            Assert.DoesNotContain("s3cret", result.Output);
            Assert.Contains("BULWARK_ALERT_KIND=problem\n", result.Output);
            Assert.DoesNotContain("\nHOME=", "\n" + result.Output);
        }
        finally
        {
            Environment.SetEnvironmentVariable(secret, null);
        }
    }

    [Fact]
    public async Task RunAsync_MissingProgram_IsAToolMissingError_WithTheRequestsAdvice()
    {
        var error = await Assert.ThrowsAsync<BulwarkException>(() => ProcessRunner.RunAsync(new ProcessRequest
        {
            FileName = "bulwark-no-such-program",
            MissingAdvice = "install it",
        }, Ct));
        Assert.Equal(ErrorKind.ToolMissing, error.Kind);
        Assert.Equal("install it", error.Advice);
    }
}
