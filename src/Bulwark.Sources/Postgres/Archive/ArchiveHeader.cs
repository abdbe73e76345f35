namespace Bulwark.Sources.Postgres.Archive;

/// <summary>The header of a pg_dump custom-format archive.</summary>
public sealed record ArchiveHeader
{
    public required int Major { get; init; }
    public required int Minor { get; init; }
    public required int Revision { get; init; }
    /// <summary>Bytes of an integer (after its sign byte).</summary>
    public required int IntSize { get; init; }
    /// <summary>Bytes of a file offset.</summary>
    public required int OffsetSize { get; init; }
    /// <summary>True when the data blocks are compressed (pg_dump without -Z0).</summary>
    public required bool Compressed { get; init; }
    public string? DatabaseName { get; init; }
    /// <summary>Version of the server that was dumped, as it reported it.</summary>
    public string? ServerVersion { get; init; }
    /// <summary>Version of the pg_dump that wrote the archive.</summary>
    public string? DumpVersion { get; init; }

    /// <summary>"1.14" and the like.</summary>
    public string Version => $"{Major}.{Minor}";

    /// <summary>The archive version as one comparable number, as pg_dump computes it.</summary>
    public int VersionNumber => ((Major * 256) + Minor) * 256 + Revision;

    public static int MakeVersion(int major, int minor) => ((major * 256) + minor) * 256;
}
