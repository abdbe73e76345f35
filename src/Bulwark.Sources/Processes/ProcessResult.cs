namespace Bulwark.Sources.Processes;

/// <summary>How a program run by <see cref="ProcessRunner.RunAsync(ProcessRequest, CancellationToken)"/> ended.</summary>
/// <param name="ExitCode">Its exit code; -1 when it was stopped at its timeout.</param>
/// <param name="Output">Its standard output (empty when not captured).</param>
/// <param name="ErrorLines">The last lines of its standard error.</param>
/// <param name="TimedOut">It did not end within its timeout and was stopped.</param>
public sealed record ProcessResult(int ExitCode, string Output, IReadOnlyList<string> ErrorLines, bool TimedOut)
{
    /// <summary>The standard error lines as one text.</summary>
    public string Errors => string.Join('\n', ErrorLines);

    /// <summary>The last line of standard error that is not blank, or null.</summary>
    public string? LastErrorLine => ErrorLines.LastOrDefault(l => l.Trim().Length > 0)?.Trim();
}
