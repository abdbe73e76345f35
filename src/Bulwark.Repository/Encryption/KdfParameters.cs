namespace Bulwark.Repository.Encryption;

/// <summary>
/// How a passphrase becomes the key that wraps the master key: Argon2id (memory-hard, RFC 9106; libsodium's, which
/// uses one lane), stored in each key object so that later keys can use stronger settings without touching older ones.
/// </summary>
public sealed record KdfParameters
{
    public const string Argon2id = "argon2id";

    /// <summary>64 MiB and 3 passes: RFC 9106's second recommendation (in one lane, which costs an attacker the same).</summary>
    public static KdfParameters Default { get; } = new() { MemoryKiB = 64 * 1024, Iterations = 3, Parallelism = 1 };

    public string Algorithm { get; init; } = Argon2id;
    public required int MemoryKiB { get; init; }
    public required int Iterations { get; init; }
    public required int Parallelism { get; init; }

    /// <summary>Refuses settings that are too weak to protect anything, or so large that opening would exhaust memory.</summary>
    public void Validate(string what)
    {
        if (Algorithm != Argon2id)
            throw new BulwarkException(ErrorKind.Repository, $"{what} uses the key derivation '{Algorithm}', which this Bulwark does not know",
                "upgrade Bulwark");
        if (MemoryKiB is < 8 * 1024 or > 4 * 1024 * 1024 || Iterations is < 1 or > 64 || Parallelism != 1)
            throw new BulwarkException(ErrorKind.Repository,
                $"{what} has unacceptable Argon2id settings (memory {MemoryKiB} KiB, {Iterations} passes, {Parallelism} lanes)",
                "restore the key object from a copy of the repository, or open it with another passphrase");
    }
}
