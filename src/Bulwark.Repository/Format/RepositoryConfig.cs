using Bulwark.Repository.Chunking;

namespace Bulwark.Repository.Format;

/// <summary>The repository's "config" object, written once by init and never changed.</summary>
public sealed record RepositoryConfig
{
    /// <summary>The newest format this build reads and writes.</summary>
    public const int CurrentFormat = 1;

    public required int Format { get; init; }
    public required string Id { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required ChunkerParameters Chunker { get; init; }
    /// <summary>"zstd": how chunks and manifests are compressed.</summary>
    public string Compression { get; init; } = "zstd";
    /// <summary>Null in a plain repository; the scheme and its parameters in an encrypted one.</summary>
    public EncryptionParameters? Encryption { get; init; }
}

/// <summary>How objects are encrypted; the keys themselves live in "keys/".</summary>
public sealed record EncryptionParameters
{
    /// <summary>The object cipher, e.g. "aes-256-gcm".</summary>
    public required string Cipher { get; init; }
    /// <summary>How chunk ids are computed, e.g. "hmac-sha256".</summary>
    public required string IdScheme { get; init; }
}
