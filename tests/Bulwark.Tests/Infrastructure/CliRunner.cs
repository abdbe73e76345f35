using System.Diagnostics;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// Runs the real bulwark program in a child process, with its own working folder and environment, and captures what it
/// prints: the native executable that BULWARK_TEST_CLI names (CI sets it to the NativeAOT build), else the built
/// bulwark.dll next to the tests.
/// </summary>
public sealed class CliRunner
{
    private readonly Dictionary<string, string?> _environment = new();
    private bool _defaultSignals;
    private string? _umask;

    public CliRunner(string workingDirectory)
    {
        WorkingDirectory = workingDirectory;
        // Keep the developer's own configuration and state out of the tests.
        _environment["HOME"] = workingDirectory;
        _environment["XDG_CONFIG_HOME"] = System.IO.Path.Combine(workingDirectory, ".config");
        _environment["XDG_STATE_HOME"] = System.IO.Path.Combine(workingDirectory, ".state");
        foreach (var variable in new[] { "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "BULWARK_CONFIG", "BULWARK_REPOSITORY" })
            _environment[variable] = null;
    }

    public string WorkingDirectory { get; }

    public CliRunner With(string variable, string? value)
    {
        _environment[variable] = value;
        return this;
    }

    /// <summary>
    /// Starts bulwark with SIGINT and SIGQUIT at their defaults, as a command typed at a terminal gets them. A test run
    /// started in the background of a script inherits them ignored, and bulwark rightly keeps ignoring them then.
    /// </summary>
    public CliRunner WithDefaultSignals()
    {
        _defaultSignals = true;
        return this;
    }

    /// <summary>Starts bulwark with this umask (e.g. "022"), whatever the test process has.</summary>
    public CliRunner WithUmask(string umask)
    {
        _umask = umask;
        return this;
    }

    public static string ProgramPath => System.IO.Path.Combine(AppContext.BaseDirectory, "bulwark.dll");

    /// <summary>The native executable under test, when one is given.</summary>
    public static string? NativeProgram =>
        Environment.GetEnvironmentVariable("BULWARK_TEST_CLI") is { Length: > 0 } path ? System.IO.Path.GetFullPath(path) : null;

    /// <summary>The program and the arguments before bulwark's own: the native executable, or dotnet and the dll.</summary>
    public static IReadOnlyList<string> Command => NativeProgram is { } native ? [native] : ["dotnet", ProgramPath];

    /// <summary><see cref="Command"/> as a shell would be given it (for wrapper scripts).</summary>
    public static string ShellCommand => string.Join(' ', Command.Select(part => $"\"{part}\""));

    public async Task<CliResult> RunAsync(params string[] arguments) => await RunAsync(arguments, null);

    public async Task<CliResult> RunAsync(IReadOnlyList<string> arguments, Action<Process>? whileRunning,
        TimeSpan? timeout = null)
    {
        var command = Command;
        var info = new ProcessStartInfo(_umask is not null ? "sh" : _defaultSignals ? "env" : command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory,
        };
        if (_umask is not null)
        {
            info.ArgumentList.Add("-c");
            info.ArgumentList.Add($"umask {_umask} && exec \"$@\"");
            info.ArgumentList.Add("sh");
            info.ArgumentList.Add(_defaultSignals ? "env" : command[0]);
        }
        if (_defaultSignals)
        {
            info.ArgumentList.Add("--default-signal=INT,QUIT");
            info.ArgumentList.Add(command[0]);
        }
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        foreach (var (key, value) in _environment)
        {
            if (value is null)
                info.Environment.Remove(key);
            else
                info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        whileRunning?.Invoke(process);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bulwark {string.Join(' ', arguments)} did not finish in time");
        }
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>What a run of bulwark printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}
