using Bulwark.Operations.Logging;
using Bulwark.Sources.Processes;

namespace Bulwark.Operations.Encryption;

/// <summary>
/// Finds a passphrase: in an environment variable, in a file an environment variable names, from a command's output
/// (a secret manager), or by asking on a terminal. Never from a command-line argument, which other users can read.
/// Every passphrase found is registered with <see cref="SecretRedactor"/> so that it cannot reach a log.
/// </summary>
public static class Passphrases
{
    /// <summary>The passphrase for <paramref name="role"/>, or null when none is set and no one can be asked.</summary>
    /// <param name="location">Where it is for (printable), for the prompt.</param>
    /// <param name="confirm">Ask twice on a terminal (a passphrase being set).</param>
    public static async Task<string?> FindAsync(Func<string, string?> environment, IPassphrasePrompt? prompt, PassphraseRole role,
        string location, CancellationToken cancellationToken, bool confirm = false)
    {
        var (variable, fileVariable, commandVariable) = Variables(role);
        var passphrase = environment(variable) is { Length: > 0 } direct ? direct
            : environment(fileVariable) is { Length: > 0 } file ? ReadFile(file, fileVariable)
            : commandVariable is not null && environment(commandVariable) is { Length: > 0 } command
                ? await RunCommandAsync(command, commandVariable, cancellationToken).ConfigureAwait(false)
            : prompt?.Ask(role switch
            {
                PassphraseRole.NewKey => $"new passphrase for {location}: ",
                _ => $"passphrase for {location}: ",
            }, confirm);
        SecretRedactor.Register(passphrase);
        return passphrase;
    }

    /// <summary>Like <see cref="FindAsync"/>, but a missing passphrase is an error saying where to put it.</summary>
    public static async Task<string> RequireAsync(Func<string, string?> environment, IPassphrasePrompt? prompt, PassphraseRole role,
        string location, CancellationToken cancellationToken, bool confirm = false) =>
        await FindAsync(environment, prompt, role, location, cancellationToken, confirm).ConfigureAwait(false)
        ?? throw new BulwarkException(ErrorKind.WrongPassphrase,
            role == PassphraseRole.NewKey ? $"no new passphrase given for {location}" : $"no passphrase given for {location}",
            $"set {Describe(role)}, or run on a terminal to be asked");

    /// <summary>"BULWARK_PASSWORD or BULWARK_PASSWORD_FILE", for messages.</summary>
    public static string Describe(PassphraseRole role)
    {
        var (variable, fileVariable, _) = Variables(role);
        return $"{variable} or {fileVariable}";
    }

    private static (string Variable, string FileVariable, string? CommandVariable) Variables(PassphraseRole role) => role switch
    {
        PassphraseRole.Repository => ("BULWARK_PASSWORD", "BULWARK_PASSWORD_FILE", "BULWARK_PASSWORD_COMMAND"),
        _ => ("BULWARK_NEW_PASSWORD", "BULWARK_NEW_PASSWORD_FILE", null),
    };

    private static string ReadFile(string path, string variable)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Configuration, $"cannot read the passphrase file {path} ({variable}): {e.Message}",
                $"check the path and permissions, or unset {variable}");
        }
        // Editors and 'echo' end the file with a newline that is not part of the passphrase.
        if (text.EndsWith("\r\n", StringComparison.Ordinal))
            text = text[..^2];
        else if (text.EndsWith('\n'))
            text = text[..^1];
        if (text.Length == 0)
            throw new BulwarkException(ErrorKind.WrongPassphrase, $"the passphrase file {path} ({variable}) is empty",
                "write the passphrase into it");
        return text;
    }

    /// <summary>The output of a secret manager's command, without its final newline.</summary>
    private static async Task<string> RunCommandAsync(string command, string variable, CancellationToken cancellationToken)
    {
        var result = await ProcessRunner.RunAsync(new ProcessRequest
        {
            FileName = "/bin/sh",
            Arguments = ["-c", command],
            // A secret manager's client may need the cloud credentials, never the database password; it may ask on
            // the terminal (a PIN, a touch), and its messages are for the person there.
            KeepCloudCredentials = true,
            InheritTerminal = true,
            Timeout = CommandTimeout,
            MissingAdvice = "check that /bin/sh exists",
        }, cancellationToken).ConfigureAwait(false);
        if (result.TimedOut)
            throw new BulwarkException(ErrorKind.Configuration, $"the {variable} command did not finish within 2 minutes", "check it in a shell");
        if (result.ExitCode != 0)
            throw new BulwarkException(ErrorKind.Configuration, $"the {variable} command failed with exit code {result.ExitCode}",
                "run it in a shell to see why");
        var text = result.Output.TrimEnd('\r', '\n');
        return text.Length > 0
            ? text
            : throw new BulwarkException(ErrorKind.WrongPassphrase, $"the {variable} command printed nothing", "make it print the passphrase");
    }

    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
}
