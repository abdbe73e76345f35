using System.Text;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// Writes a parallel snapshot as the one custom archive a single pg_dump would have written: the schema archive's
/// header and table of contents with a TABLE DATA entry added per table stream (before the first data or post-data
/// entry, where pg_dump puts table data), then the tables' rows as data blocks, then the schema archive's own data
/// blocks. Data offsets are written as "not set", as pg_dump writes them to a pipe: pg_restore finds each block by
/// reading on. Every stream is checked against its manifest entry as it is read.
/// </summary>
public static class ParallelArchiveWriter
{
    private const byte BlockData = 1;
    private const byte OffsetNotSet = 1;
    private const byte OffsetSet = 2;
    private const int SectionData = 3;
    private const int SectionPostData = 4;

    public static async Task WriteAsync(BackupRepository repository, SnapshotManifest manifest, Stream destination,
        IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var schema = manifest.FindStream(ParallelSnapshot.SchemaStreamName)
                     ?? throw new BulwarkException(ErrorKind.Usage, "the snapshot is not a parallel backup", "restore it as it is");
        var tables = ParallelSnapshot.Tables(manifest);
        var source = repository.OpenStream(schema, cancellationToken);
        await using var _ = source.ConfigureAwait(false);

        // The header and the table of contents, read whole (they hold no rows).
        var toc = new FingerprintBuilder();
        var parser = new CustomArchiveParser(toc);
        using var prelude = new MemoryStream();
        var buffer = new byte[256 * 1024];
        while (!parser.TocComplete)
        {
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new BulwarkException(ErrorKind.Integrity, $"stream {schema.Name} ends inside its table of contents",
                    "the snapshot is damaged; restore an older snapshot");
            prelude.Write(buffer, 0, read);
            try
            {
                parser.Feed(buffer.AsSpan(0, read));
            }
            catch (ArchiveFormatException e)
            {
                throw new BulwarkException(ErrorKind.Integrity, $"stream {schema.Name} is not a readable archive: {e.Message}",
                    "the snapshot is damaged or was not written by Bulwark; restore an older snapshot", e);
            }
        }
        var header = toc.Header!;
        var bytes = prelude.GetBuffer().AsSpan(0, (int)prelude.Length);
        var headerEnd = HeaderLength(bytes, header);
        var entries = toc.Entries;
        var tocEnd = entries.Count == 0 ? headerEnd + 1 + header.IntSize : (int)(entries[^1].DataOffsetPosition + 1 + header.OffsetSize);

        var tablesByName = entries.Where(e => e.Description == "TABLE")
            .GroupBy(e => (e.Namespace ?? "", e.Tag)).ToDictionary(g => g.Key, g => g.First());
        var nextId = entries.Count == 0 ? 1 : entries.Max(e => e.DumpId) + 1;
        var added = new List<(int DumpId, StreamEntry Stream)>();
        var output = new ArchiveOutput(header.IntSize);
        foreach (var table in tables)
        {
            var (schemaName, name, copy) = ParallelSnapshot.Describe(table);
            if (!tablesByName.TryGetValue((schemaName, name), out var definition))
                throw new BulwarkException(ErrorKind.Integrity,
                    $"stream {table.Name} holds rows of {schemaName}.{name}, which the snapshot's archive does not define",
                    "the snapshot is damaged or was not written by Bulwark; restore an older snapshot");
            var id = nextId++;
            added.Add((id, table));
            output.Int(id);
            output.Int(1); // has data
            output.String("0");
            output.String("0");
            output.String(name);
            output.String("TABLE DATA");
            output.Int(SectionData);
            output.String("");
            output.String("");
            output.String(copy);
            output.String(schemaName);
            output.String(null); // tablespace
            output.String(null); // table access method
            if (header.VersionNumber >= ArchiveHeader.MakeVersion(1, 16))
                output.Int(0); // relkind, unset for data entries
            output.String(definition.Owner);
            output.String("false"); // with oids
            output.String(definition.DumpId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            output.String(null);
            output.Byte(OffsetNotSet);
            output.Zeros(header.OffsetSize);
        }
        var newEntries = output.Take();

        await destination.WriteAsync(prelude.GetBuffer().AsMemory(0, headerEnd), cancellationToken).ConfigureAwait(false);
        output.Int(entries.Count + added.Count);
        await destination.WriteAsync(output.Take(), cancellationToken).ConfigureAwait(false);
        var at = headerEnd + 1 + header.IntSize;
        var inserted = false;
        foreach (var entry in entries)
        {
            var end = (int)(entry.DataOffsetPosition + 1 + header.OffsetSize);
            if (!inserted && entry.Section is SectionData or SectionPostData)
            {
                await destination.WriteAsync(newEntries, cancellationToken).ConfigureAwait(false);
                inserted = true;
            }
            var raw = prelude.GetBuffer().AsSpan(at, end - at).ToArray();
            if (entry.DataOffsetFlag == OffsetSet)
            {
                // Blocks move: an offset once set is found again by reading on, as after a dump to a pipe.
                var flagAt = (int)(entry.DataOffsetPosition - at);
                raw[flagAt] = OffsetNotSet;
                raw.AsSpan(flagAt + 1, header.OffsetSize).Clear();
            }
            await destination.WriteAsync(raw, cancellationToken).ConfigureAwait(false);
            at = end;
        }
        if (!inserted)
            await destination.WriteAsync(newEntries, cancellationToken).ConfigureAwait(false);

        // The tables' rows, one block each, a piece per stored chunk.
        foreach (var (id, table) in added)
        {
            output.Byte(BlockData);
            output.Int(id);
            await destination.WriteAsync(output.Take(), cancellationToken).ConfigureAwait(false);
            var pieces = new PieceStream(destination, header.IntSize);
            await repository.CopyStreamAsync(table, pieces, progress, cancellationToken: cancellationToken).ConfigureAwait(false);
            output.Int(0);
            await destination.WriteAsync(output.Take(), cancellationToken).ConfigureAwait(false);
        }

        // The schema archive's own data blocks (sequences' values are in its entries; large objects, rows pg_dump kept).
        await destination.WriteAsync(prelude.GetBuffer().AsMemory(tocEnd, (int)prelude.Length - tocEnd), cancellationToken).ConfigureAwait(false);
        await source.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Bytes of the header: magic, version, sizes, format, compression, creation time, three strings.</summary>
    private static int HeaderLength(ReadOnlySpan<byte> bytes, ArchiveHeader header)
    {
        var at = 5 + 3 + 3;
        var intLength = 1 + header.IntSize;
        at += header.VersionNumber >= ArchiveHeader.MakeVersion(1, 15) ? 1 : intLength;
        at += 7 * intLength;
        for (var i = 0; i < 3; i++)
        {
            var length = ReadInt(bytes[at..], header.IntSize);
            at += intLength + Math.Max(0, length);
        }
        return at;
    }

    private static int ReadInt(ReadOnlySpan<byte> bytes, int intSize)
    {
        long value = 0;
        for (var i = intSize; i >= 1; i--)
            value = (value << 8) | bytes[i];
        return (int)(bytes[0] != 0 ? -value : value);
    }

    /// <summary>Encodes archive integers (a sign byte, then the absolute value little-endian) and strings.</summary>
    private sealed class ArchiveOutput(int intSize)
    {
        private readonly List<byte> _bytes = [];

        public void Byte(byte value) => _bytes.Add(value);

        public void Zeros(int count)
        {
            for (var i = 0; i < count; i++)
                _bytes.Add(0);
        }

        public void Int(long value)
        {
            _bytes.Add(value < 0 ? (byte)1 : (byte)0);
            var magnitude = Math.Abs(value);
            for (var i = 0; i < intSize; i++)
            {
                _bytes.Add((byte)(magnitude & 0xff));
                magnitude >>= 8;
            }
        }

        public void String(string? value)
        {
            if (value is null)
            {
                Int(-1);
                return;
            }
            var encoded = Encoding.UTF8.GetBytes(value);
            Int(encoded.Length);
            _bytes.AddRange(encoded);
        }

        public byte[] Take()
        {
            var taken = _bytes.ToArray();
            _bytes.Clear();
            return taken;
        }
    }

    /// <summary>Writes each write as one piece of a data block: its length as an archive integer, then its bytes.</summary>
    private sealed class PieceStream(Stream inner, int intSize) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty)
                return;
            var length = new byte[1 + intSize];
            long magnitude = buffer.Length;
            for (var i = 0; i < intSize; i++, magnitude >>= 8)
                length[1 + i] = (byte)(magnitude & 0xff);
            await inner.WriteAsync(length, cancellationToken).ConfigureAwait(false);
            await inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
    }
}
