using Bulwark.Repository.Encryption;

namespace Bulwark.Operations.Repositories;

/// <summary>How a new repository is made.</summary>
public sealed record InitOptions
{
    /// <summary>Encrypt every object with a key protected by a passphrase (BULWARK_PASSWORD, …, or a prompt).</summary>
    public bool Encrypt { get; init; }

    /// <summary>Argon2id settings of the first key; null for <see cref="KdfParameters.Default"/>.</summary>
    public KdfParameters? Kdf { get; init; }
}
