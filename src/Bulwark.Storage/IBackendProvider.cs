namespace Bulwark.Storage;

/// <summary>Opens backends for the location schemes it knows ("file", "s3", "azure", …).</summary>
public interface IBackendProvider
{
    /// <summary>The URI schemes this provider opens, lower case.</summary>
    IReadOnlyCollection<string> Schemes { get; }

    /// <summary>Opens (without contacting it) the backend at <paramref name="location"/>.</summary>
    IStorageBackend Open(string location);

    /// <summary>The location without passwords, keys or tokens, safe to print.</summary>
    string Redact(string location);
}
