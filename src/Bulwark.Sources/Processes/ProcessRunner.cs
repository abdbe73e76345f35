using System.Diagnostics;

namespace Bulwark.Sources.Processes;

/// <summary>
/// Starts a program without a shell, with arguments as a list and secrets only in its environment; keeps the last
/// lines of its standard error for messages; kills it (and its children) on cancellation.
/// </summary>
public sealed class ProcessRunner : IAsyncDisposable
{
    private const int KeptErrorLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _errorTail = new();
    private readonly Task _errorReader;
    private readonly CancellationTokenRegistration _cancel;

    private ProcessRunner(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        _errorReader = Task.Run(ReadErrorsAsync, CancellationToken.None);
        _cancel = cancellationToken.Register(Kill);
    }

    public int ProcessId => _process.Id;
    public string FileName => _process.StartInfo.FileName;

    /// <summary>The program's standard output (when redirected).</summary>
    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>The program's standard input (when redirected).</summary>
    public Stream StandardInput => _process.StandardInput.BaseStream;

    /// <summary>
    /// Starts <paramref name="fileName"/> with our environment less its secrets (<see cref="ChildEnvironment"/>), then
    /// <paramref name="environment"/> on top: the only way a secret such as PGPASSWORD reaches the program. Variables
    /// set to null there are removed.
    /// </summary>
    public static ProcessRunner Start(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, bool redirectInput, bool redirectOutput,
        CancellationToken cancellationToken, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = redirectOutput,
            WorkingDirectory = workingDirectory ?? "",
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        ChildEnvironment.RemoveSecrets(info.Environment);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
            {
                if (value is null)
                    info.Environment.Remove(key);
                else
                    info.Environment[key] = value;
            }
        }
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException("no process started");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new BulwarkException(ErrorKind.ToolMissing, $"cannot run {fileName}: {e.Message}",
                "install the PostgreSQL client programs, or set 'postgres.bin-dir' in bulwark.yml");
        }
        return new ProcessRunner(process, cancellationToken);
    }

    /// <summary>Waits for the exit; returns the exit code.</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken = default)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        await _errorReader.ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>The last lines the program wrote to standard error.</summary>
    public IReadOnlyList<string> ErrorLines
    {
        get
        {
            lock (_errorTail)
                return _errorTail.ToList();
        }
    }

    /// <summary>The most telling error line: the first one that says "error" or "FATAL", else the last.</summary>
    public string? ErrorSummary
    {
        get
        {
            var lines = ErrorLines;
            return lines.FirstOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase) ||
                                             l.Contains("FATAL", StringComparison.Ordinal)) ?? (lines.Count > 0 ? lines[^1] : null);
        }
    }

    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cancel.DisposeAsync().ConfigureAwait(false);
        Kill();
        try
        {
            await _process.WaitForExitAsync().ConfigureAwait(false);
            await _errorReader.ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private async Task ReadErrorsAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_errorTail)
                {
                    _errorTail.Enqueue(line);
                    if (_errorTail.Count > KeptErrorLines)
                        _errorTail.Dequeue();
                }
            }
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Runs a program to its end and returns its standard output; a non-zero exit is an exception.</summary>
    public static async Task<string> RunAsync(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, CancellationToken cancellationToken)
    {
        await using var runner = Start(fileName, arguments, environment, redirectInput: false, redirectOutput: true,
            cancellationToken);
        using var reader = new StreamReader(runner.StandardOutput);
        var output = await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var code = await runner.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw new BulwarkException(ErrorKind.Failed,
                $"{Path.GetFileName(fileName)} failed (exit {code}): {runner.ErrorSummary ?? "no message"}");
        return output;
    }
}
