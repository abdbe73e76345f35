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

    /// <summary>The most memory a key may ask for: 16 times the default, libsodium's "sensitive" level.</summary>
    public const int MaxMemoryKiB = 1024 * 1024;

    /// <summary>The most passes a key may ask for.</summary>
    public const int MaxIterations = 16;

    /// <summary>
    /// The most work (memory × passes, in KiB) a key may ask for: libsodium's "sensitive" level (1 GiB, 4 passes), about
    /// 20 times the default. Every command of an encrypted repository pays it, and a planted key object must not be
    /// able to make each one slow and memory-hungry.
    /// </summary>
    public const long MaxWorkKiB = 4L * 1024 * 1024;

    /// <summary>Refuses settings that are too weak to protect anything, or so large that opening would exhaust memory or time.</summary>
    public void Validate(string what)
    {
        if (Problem() is { } problem)
            throw new BulwarkException(ErrorKind.Repository, $"{what} {problem}",
                Algorithm == Argon2id
                    ? "remove the key object (it was not written by Bulwark), or restore it from a copy of the repository"
                    : "upgrade Bulwark");
    }

    /// <summary>Why these settings are refused, as the end of a sentence starting with the key's name; null when acceptable.</summary>
    public string? Problem()
    {
        if (Algorithm != Argon2id)
            return $"uses the key derivation '{Algorithm}', which this Bulwark does not know";
        if (MemoryKiB is < 8 * 1024 or > MaxMemoryKiB || Iterations is < 1 or > MaxIterations || Parallelism != 1 ||
            (long)MemoryKiB * Iterations > MaxWorkKiB)
            return $"has unacceptable Argon2id settings (memory {MemoryKiB} KiB, {Iterations} passes, {Parallelism} lanes; " +
                   $"at most {MaxMemoryKiB / 1024} MiB, {MaxIterations} passes, {MaxWorkKiB / (1024 * 1024)} GiB × passes in all, one lane)";
        return null;
    }
}
