using System.Text;
using Bulwark.Operations.Encryption;

namespace Bulwark.Cli.Infrastructure;

/// <summary>Asks for a passphrase on the terminal (standard error for the prompt, no echo); nothing when input is redirected.</summary>
public sealed class TerminalPassphrasePrompt : IPassphrasePrompt
{
    public string? Ask(string prompt, bool confirm)
    {
        if (Console.IsInputRedirected)
            return null;
        var first = Read(prompt);
        if (!confirm)
            return first;
        var second = Read("again, to confirm: ");
        return first == second
            ? first
            : throw new BulwarkException(ErrorKind.WrongPassphrase, "the two passphrases differ", "run the command again");
    }

    private static string Read(string prompt)
    {
        Console.Error.Write(prompt);
        var text = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
                break;
            if (key.Key == ConsoleKey.Backspace)
            {
                if (text.Length > 0)
                    text.Length--;
                continue;
            }
            if (key.KeyChar != '\0')
                text.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return text.ToString();
    }
}
