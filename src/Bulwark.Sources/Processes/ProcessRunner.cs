using System.Diagnostics;

namespace Bulwark.Sources.Processes;

/// <summary>
/// The one way Bulwark starts a program (the PostgreSQL tools, alert commands, passphrase commands, crontab): without
/// a shell, with arguments as a list and secrets only in its environment (<see cref="ChildEnvironment"/>); keeps the
/// last lines of its standard error for messages; kills it (and its children) on cancellation or at its timeout.
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
        _errorReader = process.StartInfo.RedirectStandardError ? Task.Run(ReadErrorsAsync, CancellationToken.None) : Task.CompletedTask;
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
    /// <param name="keepCloudCredentials">The cloud credentials of our environment are passed on too.</param>
    public static ProcessRunner Start(string fileName, IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string?>? environment, bool redirectInput, bool redirectOutput,
        CancellationToken cancellationToken, string? workingDirectory = null, bool keepCloudCredentials = false) =>
        Start(new ProcessRequest
        {
            FileName = fileName,
            Arguments = arguments.ToList(),
            Environment = environment,
            KeepCloudCredentials = keepCloudCredentials,
            WorkingDirectory = workingDirectory,
            MissingAdvice = "install the PostgreSQL client programs, or set 'postgres.bin-dir' in bulwark.yml",
        }, redirectInput, redirectOutput, cancellationToken);

    private static ProcessRunner Start(ProcessRequest request, bool redirectInput, bool redirectOutput,
        CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(request.FileName)
        {
            UseShellExecute = false,
            RedirectStandardError = !request.InheritTerminal,
            RedirectStandardInput = redirectInput,
            RedirectStandardOutput = redirectOutput,
            WorkingDirectory = request.WorkingDirectory ?? "",
        };
        foreach (var argument in request.Arguments)
            info.ArgumentList.Add(argument);
        ChildEnvironment.RemoveSecrets(info.Environment, keepCloudCredentials: request.KeepCloudCredentials);
        if (request.Environment is { } environment)
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
            throw new BulwarkException(ErrorKind.ToolMissing, $"cannot run {request.FileName}: {e.Message}", request.MissingAdvice);
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

    /// <summary>
    /// Runs a program to its end: writes <see cref="ProcessRequest.Input"/> to it, reads its output, and stops it (with its
    /// children) when <paramref name="cancellationToken"/> fires (then throws) or its timeout passes (then returns a
    /// result that says so). A non-zero exit is the caller's to judge.
    /// </summary>
    /// <exception cref="BulwarkException">The program cannot be started (<see cref="ErrorKind.ToolMissing"/>).</exception>
    public static async Task<ProcessResult> RunAsync(ProcessRequest request, CancellationToken cancellationToken)
    {
        using var deadline = request.Timeout is { } timeout
            ? new CancellationTokenSource(timeout, request.Time)
            : new CancellationTokenSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var runner = Start(request, redirectInput: !request.InheritTerminal, redirectOutput: true, stop.Token);
        await using (runner.ConfigureAwait(false))
        {
            try
            {
                var output = ReadOutputAsync(runner, request.CaptureOutput, stop.Token);
                if (!request.InheritTerminal)
                    await WriteInputAsync(runner, request.Input, stop.Token).ConfigureAwait(false);
                var text = await output.ConfigureAwait(false);
                var code = await runner.WaitAsync(stop.Token).ConfigureAwait(false);
                return new ProcessResult(code, text, runner.ErrorLines, TimedOut: false);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException &&
                                      deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                runner.Kill();
                return new ProcessResult(-1, "", runner.ErrorLines, TimedOut: true);
            }
        }
    }

    private static async Task<string> ReadOutputAsync(ProcessRunner runner, bool capture, CancellationToken cancellationToken)
    {
        if (!capture)
        {
            await runner.StandardOutput.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            return "";
        }
        using var reader = new StreamReader(runner.StandardOutput);
        return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task WriteInputAsync(ProcessRunner runner, string? input, CancellationToken cancellationToken)
    {
        var stream = runner._process.StandardInput;
        try
        {
            if (input is not null)
                await stream.WriteAsync(input.AsMemory(), cancellationToken).ConfigureAwait(false);
            stream.Close();
        }
        catch (IOException)
        {
            // The program ended, or closed its input, without reading all of it: its exit code tells how it went.
            try
            {
                stream.Close();
            }
            catch (IOException)
            {
            }
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
