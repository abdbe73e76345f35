namespace Bulwark.Sources.Postgres.Archive;

/// <summary>
/// What <see cref="CustomArchiveParser"/> reports while it reads an archive, in archive order: the header, every table
/// of contents entry, then the data blocks (table data in COPY text form, large objects).
/// </summary>
public interface IArchiveVisitor
{
    void OnHeader(ArchiveHeader header);

    void OnTocEntry(ArchiveTocEntry entry);

    /// <summary>The table of contents is complete; data blocks follow.</summary>
    void OnTocComplete();

    /// <summary>A data block of table data starts; <paramref name="entry"/> is its TOC entry (null when unknown).</summary>
    void OnTableDataStart(int dumpId, ArchiveTocEntry? entry);

    /// <summary>Bytes of the current table's COPY text; rows may be split across calls.</summary>
    void OnTableData(ReadOnlySpan<byte> data);

    void OnTableDataEnd();

    void OnLargeObjectStart(uint oid);

    void OnLargeObjectData(ReadOnlySpan<byte> data);

    void OnLargeObjectEnd();

    /// <summary>The archive ended where it may end.</summary>
    void OnEnd();
}
