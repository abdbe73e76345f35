namespace Bulwark.Operations.Encryption;

/// <summary>Asks a person for a passphrase (the CLI on a terminal). Hosts without one (the daemon) have none.</summary>
public interface IPassphrasePrompt
{
    /// <summary>
    /// Asks with <paramref name="prompt"/>; with <paramref name="confirm"/> asks twice and refuses a mismatch. Null when
    /// no one can be asked (standard input is not a terminal).
    /// </summary>
    string? Ask(string prompt, bool confirm);
}
