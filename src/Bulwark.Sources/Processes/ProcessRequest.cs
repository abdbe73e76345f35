namespace Bulwark.Sources.Processes;

/// <summary>A program to run to its end with <see cref="ProcessRunner.RunAsync(ProcessRequest, CancellationToken)"/>.</summary>
public sealed record ProcessRequest
{
    /// <summary>The program; found on PATH when it has no folder.</summary>
    public required string FileName { get; init; }

    /// <summary>Its arguments, passed as a list (no shell). Never a secret: other users can read a command line.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Variables set on top of our environment less its secrets; null values remove a variable.</summary>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>Whether the program keeps the cloud credentials of our environment (a secret manager's client may need them).</summary>
    public bool KeepCloudCredentials { get; init; }

    public string? WorkingDirectory { get; init; }

    /// <summary>Text written to its standard input, which is then closed; a program that does not read it is fine.</summary>
    public string? Input { get; init; }

    /// <summary>
    /// The program shares our standard input and error (it may ask a person, and its messages reach them);
    /// <see cref="Input"/> is then not used and <see cref="ProcessResult.ErrorLines"/> is empty.
    /// </summary>
    public bool InheritTerminal { get; init; }

    /// <summary>Whether standard output is kept (<see cref="ProcessResult.Output"/>) or read and dropped.</summary>
    public bool CaptureOutput { get; init; } = true;

    /// <summary>After this long the program (and its children) is stopped; null for no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>The clock of <see cref="Timeout"/>.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>The advice when the program cannot be started (it is missing).</summary>
    public string MissingAdvice { get; init; } = "install it, or check PATH";
}
