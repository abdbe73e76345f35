namespace Bulwark.Storage;

/// <summary>
/// What a backend is, said by the backend itself (<see cref="IStorageBackend.Capabilities"/>) so that callers do not
/// guess it from the location's scheme or by looking under decorators.
/// </summary>
public sealed record StorageCapabilities
{
    /// <summary>The folder that holds the objects when they are files on this machine; null for a remote store.</summary>
    public string? LocalFolder { get; init; }

    /// <summary>Objects are files on this machine: a lookup is cheap, a listing of many objects is not free either.</summary>
    public bool IsLocal => LocalFolder is not null;

    /// <summary>A put over an existing name replaces it whole, never leaving a mix or a gap a reader could see.</summary>
    public required bool AtomicReplace { get; init; }

    /// <summary>Whether a listing shows every put that completed before it started.</summary>
    public required ListingConsistency Listing { get; init; }

    /// <summary>Failures may pass on their own (network, throttling), so retrying them can help.</summary>
    public required bool TransientFailures { get; init; }

    /// <summary>A folder on this machine.</summary>
    public static StorageCapabilities Local(string folder) => new()
    {
        LocalFolder = folder,
        AtomicReplace = true,
        Listing = ListingConsistency.Strong,
        TransientFailures = false,
    };

    /// <summary>An object store reached over the network with read-after-write and list-after-write consistency (S3, Azure Blob).</summary>
    public static StorageCapabilities StronglyConsistentObjectStore { get; } = new()
    {
        AtomicReplace = true,
        Listing = ListingConsistency.Strong,
        TransientFailures = true,
    };
}
