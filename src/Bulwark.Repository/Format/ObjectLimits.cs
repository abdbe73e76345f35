namespace Bulwark.Repository.Format;

/// <summary>
/// The largest plaintext each kind of object may have. Repository content is untrusted input: a reader refuses an
/// object (or a zstd header) claiming more before it allocates anything, so a few planted bytes cannot make a command
/// use gigabytes. Writers check the same limits, so that nothing is committed that a reader would refuse.
/// </summary>
public static class ObjectLimits
{
    /// <summary>
    /// Config, key objects, locks and events: a few hundred bytes each in practice (events that carry a file, such as
    /// ruleset versions, ask for their own limit).
    /// </summary>
    public const int SmallObject = 1 << 20;

    /// <summary>
    /// Snapshot manifests (and the collector's records of removed snapshots, which list chunk ids the same way). A
    /// chunk reference costs about 76 bytes of JSON, so 1 GiB holds about 14 million of them: 3.4 TiB of streams per
    /// snapshot at the default 256 KiB average chunk. .NET cannot hold a JSON document above 2 GiB at all.
    /// </summary>
    public const int Manifest = 1 << 30;

    /// <summary>"1 MiB", "256 KiB", "123 bytes", for messages about limits.</summary>
    public static string Describe(long bytes) =>
        bytes >= 1 << 30 && bytes % (1 << 30) == 0 ? $"{bytes >> 30} GiB"
        : bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB"
        : bytes >= 1 << 10 && bytes % (1 << 10) == 0 ? $"{bytes >> 10} KiB"
        : $"{bytes} bytes";
}
