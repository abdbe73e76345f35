using System.Diagnostics;

namespace Bulwark.Crash;

/// <summary>
/// The real bulwark program (bulwark.dll, run by dotnet) in a child process with a working folder and environment of
/// its own; while it runs, an optional killer may SIGKILL it or one of its children.
/// </summary>
public sealed class BulwarkProgram
{
    private readonly string _programPath;
    private readonly Dictionary<string, string?> _environment;

    public BulwarkProgram(string programPath, string workingDirectory, IReadOnlyDictionary<string, string?> environment)
    {
        _programPath = programPath;
        WorkingDirectory = workingDirectory;
        _environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // The user's own configuration, state and connection settings stay out of the trials.
            ["HOME"] = workingDirectory,
            ["XDG_CONFIG_HOME"] = Path.Combine(workingDirectory, ".config"),
            ["XDG_STATE_HOME"] = Path.Combine(workingDirectory, ".state"),
        };
        foreach (var variable in new[] { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "BULWARK_CONFIG", "BULWARK_REPOSITORY", "BULWARK_PASSWORD" })
            _environment[variable] = null;
        foreach (var (key, value) in environment)
            _environment[key] = value;
    }

    public string WorkingDirectory { get; }

    /// <summary>
    /// Runs bulwark with <paramref name="arguments"/>. <paramref name="killer"/>, when given, runs beside it and
    /// returns what it did (it may kill the process or a child); the run waits for the process either way.
    /// </summary>
    public async Task<ProgramRun> RunAsync(IReadOnlyList<string> arguments, Func<Process, Stopwatch, Task<KillRecord>>? killer = null,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        info.ArgumentList.Add(_programPath);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment)
        {
            if (value is null)
                info.Environment.Remove(key);
            else
                info.Environment[key] = value;
        }
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start dotnet");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var kill = killer is null ? Task.FromResult(KillRecord.None) : Task.Run(() => killer(process, watch), cancellationToken);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"bulwark {string.Join(' ', arguments)} did not finish within {(timeout ?? TimeSpan.FromMinutes(5)).TotalSeconds:0} s");
        }
        var elapsed = watch.Elapsed;
        var record = await kill.ConfigureAwait(false);
        // A child that outlives a killed bulwark (pg_dump) may hold the pipes open for a moment; its output is not needed.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(30), cancellationToken)).ConfigureAwait(false);
        return new ProgramRun(arguments, process.ExitCode,
            stdout.IsCompletedSuccessfully ? stdout.Result : "", stderr.IsCompletedSuccessfully ? stderr.Result : "",
            elapsed, record);
    }
}

/// <summary>What the killer did: nothing, or which process it sent SIGKILL to and when.</summary>
public sealed record KillRecord(bool Sent, string? Target, TimeSpan? At)
{
    public static readonly KillRecord None = new(false, null, null);
}

/// <summary>One run of bulwark: its arguments, exit code, output, duration and the kill sent during it.</summary>
public sealed record ProgramRun(IReadOnlyList<string> Arguments, int ExitCode, string Stdout, string Stderr,
    TimeSpan Elapsed, KillRecord Kill)
{
    /// <summary>128 + SIGKILL: how a process killed with kill -9 reports.</summary>
    public const int KilledExitCode = 137;

    public bool WasKilled => Kill.Sent && ExitCode == KilledExitCode;

    public string Describe() =>
        $"bulwark {string.Join(' ', Arguments)} -> exit {ExitCode} after {Elapsed.TotalSeconds:0.00} s" +
        (string.IsNullOrWhiteSpace(Stderr) ? "" : $"; stderr: {Trim(Stderr)}");

    private static string Trim(string text)
    {
        text = text.Trim().Replace('\n', ' ');
        return text.Length <= 400 ? text : text[..400] + "…";
    }
}
