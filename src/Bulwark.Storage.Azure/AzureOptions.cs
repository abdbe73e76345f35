namespace Bulwark.Storage.Azure;

/// <summary>
/// Defaults for every azure:// location (from the 'storage.azure' configuration section); options in a location's
/// query ("?account=…&amp;endpoint=…") win over them. Credentials never come from here: see <see cref="AzureBackendProvider"/>.
/// </summary>
public sealed record AzureOptions
{
    /// <summary>The storage account; null: AZURE_STORAGE_ACCOUNT, or the account of the endpoint or connection string.</summary>
    public string? Account { get; init; }

    /// <summary>The blob service URL; null: https://ACCOUNT.blob.core.windows.net (or the connection string's).</summary>
    public string? Endpoint { get; init; }

    /// <summary>How many blobs one list request asks for (Azure serves at most 5000).</summary>
    public int ListPageSize { get; init; } = 5000;

    /// <summary>How long one request may take before it counts as a (transient) timeout.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(2);
}
