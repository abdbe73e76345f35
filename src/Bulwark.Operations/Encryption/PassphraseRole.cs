namespace Bulwark.Operations.Encryption;

/// <summary>Which passphrase is wanted, which decides the environment variables read.</summary>
public enum PassphraseRole
{
    /// <summary>The repository's: BULWARK_PASSWORD, BULWARK_PASSWORD_FILE, BULWARK_PASSWORD_COMMAND.</summary>
    Repository,
    /// <summary>A new key's (key add): BULWARK_NEW_PASSWORD, BULWARK_NEW_PASSWORD_FILE.</summary>
    NewKey,
    /// <summary>The copy destination's: BULWARK_NEW_PASSWORD, BULWARK_NEW_PASSWORD_FILE.</summary>
    Destination,
}
