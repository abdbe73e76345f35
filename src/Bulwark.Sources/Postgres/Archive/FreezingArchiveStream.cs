using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Bulwark.Sources.Postgres.Archive;

/// <summary>
/// Passes a custom archive on to pg_restore with each table's COPY turned into COPY … WITH (FREEZE) where the
/// restore creates that table itself. Rows then arrive frozen and their pages all-visible, as after VACUUM FREEZE:
/// the restored database reads at full speed at once (a plain restore's first reads set a hint bit on every row and
/// write every page again) and needs no anti-wraparound vacuum of the restored data later. PostgreSQL accepts FREEZE
/// only on a table created (or truncated) in the same transaction: the single-transaction restore, and pg_restore -j,
/// which truncates each table it created before loading it. Only the table of contents changes; data passes
/// through untouched, and data offsets recorded in it are moved by what the table of contents grew.
/// </summary>
/// <remarks>The inner stream is not disposed; disposing this one passes on whatever it still holds.</remarks>
public sealed class FreezingArchiveStream : Stream
{
    private const string CopyEnd = " FROM stdin;\n";
    private const string FrozenCopyEnd = " FROM stdin WITH (FREEZE);\n";
    private const byte OffsetSet = 2;

    private readonly Stream _inner;
    private readonly EntryCollector _collector = new();
    private readonly CustomArchiveParser _parser;
    private ArrayBufferWriter<byte>? _prelude = new(64 * 1024);
    private bool _passing;

    public FreezingArchiveStream(Stream inner)
    {
        _inner = inner;
        _parser = new CustomArchiveParser(_collector);
    }

    /// <summary>How many COPY statements were given FREEZE (known once the table of contents went through).</summary>
    public int Frozen { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_passing)
        {
            _inner.Write(buffer);
            return;
        }
        if (Take(buffer) is { } ready)
            _inner.Write(ready);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_passing)
        {
            await _inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (Take(buffer.Span) is { } ready)
            await _inner.WriteAsync(ready, cancellationToken).ConfigureAwait(false);
    }

    public override void Flush()
    {
        if (_passing)
            _inner.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _passing ? _inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_passing)
        {
            // The archive ended inside its table of contents: pg_restore gets it as it was and says what is wrong.
            _passing = true;
            _inner.Write(_prelude!.WrittenSpan);
        }
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_passing)
        {
            _passing = true;
            await _inner.WriteAsync(_prelude!.WrittenMemory).ConfigureAwait(false);
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Keeps bytes until the table of contents is whole; then returns it rewritten, with the bytes after it.</summary>
    private byte[]? Take(ReadOnlySpan<byte> buffer)
    {
        var prelude = _prelude!;
        prelude.Write(buffer);
        byte[] ready;
        try
        {
            _parser.Feed(buffer);
        }
        catch (ArchiveFormatException) when (!_collector.TocComplete)
        {
            // Not an archive this parser reads: pg_restore gets it unchanged and judges it.
            _passing = true;
            ready = prelude.WrittenSpan.ToArray();
            _prelude = null;
            return ready;
        }
        catch (ArchiveFormatException)
        {
            // Past the table of contents: the data is pg_restore's to read.
        }
        if (!_collector.TocComplete)
            return null;
        _passing = true;
        ready = Rewrite(prelude.WrittenSpan, _parser.Header!, _collector.Entries, out var frozen);
        Frozen = frozen;
        _prelude = null;
        return ready;
    }

    internal static byte[] Rewrite(ReadOnlySpan<byte> archive, ArchiveHeader header,
        IReadOnlyList<ArchiveTocEntry> entries, out int frozen)
    {
        var tables = new Dictionary<(string, string), ArchiveTocEntry>();
        foreach (var entry in entries.Where(e => e.Description == "TABLE"))
            tables.TryAdd((entry.Namespace ?? "", entry.Tag), entry);
        var replacements = new SortedDictionary<long, (int OldLength, byte[] Bytes)>();
        long growth = 0;
        foreach (var entry in entries)
        {
            if (!CanFreeze(entry, tables.GetValueOrDefault((entry.Namespace ?? "", entry.Tag))))
                continue;
            var statement = Encoding.UTF8.GetBytes(entry.CopyStatement![..^CopyEnd.Length] + FrozenCopyEnd);
            var encoded = new byte[1 + header.IntSize + statement.Length];
            WriteInt(encoded, statement.Length, header.IntSize);
            statement.CopyTo(encoded.AsSpan(1 + header.IntSize));
            replacements[entry.CopyStatementPosition] = (entry.CopyStatementEncodedLength, encoded);
            growth += encoded.Length - entry.CopyStatementEncodedLength;
        }
        frozen = replacements.Count;
        if (growth != 0)
        {
            foreach (var entry in entries.Where(e => e.DataOffsetFlag == OffsetSet))
            {
                var field = archive.Slice((int)entry.DataOffsetPosition, 1 + header.OffsetSize);
                var moved = field.ToArray();
                WriteOffset(moved.AsSpan(1), ReadOffset(field[1..]) + growth);
                replacements[entry.DataOffsetPosition] = (moved.Length, moved);
            }
        }
        var output = new byte[archive.Length + growth];
        var at = 0;
        var written = 0;
        foreach (var (position, (oldLength, bytes)) in replacements)
        {
            var keep = (int)position - at;
            archive.Slice(at, keep).CopyTo(output.AsSpan(written));
            written += keep;
            bytes.CopyTo(output.AsSpan(written));
            written += bytes.Length;
            at = (int)position + oldLength;
        }
        archive[at..].CopyTo(output.AsSpan(written));
        return output;
    }

    /// <summary>
    /// True when the restore creates the table that <paramref name="data"/> is copied into: its own table entry is a
    /// plain (not partitioned) table, and the COPY names that table rather than a partition root
    /// (pg_dump --load-via-partition-root).
    /// </summary>
    internal static bool CanFreeze(ArchiveTocEntry data, ArchiveTocEntry? table)
    {
        if (data.Description != "TABLE DATA" || data.CopyStatement is not { } copy || table?.Definition is not { } definition)
            return false;
        if (!copy.StartsWith("COPY ", StringComparison.Ordinal) || !copy.EndsWith(CopyEnd, StringComparison.Ordinal) ||
            definition.Contains("\nPARTITION BY ", StringComparison.Ordinal))
            return false;
        var name = QualifiedName(copy.AsSpan(5));
        if (name.IsEmpty)
            return false;
        foreach (var create in (ReadOnlySpan<string>)["CREATE TABLE ", "CREATE UNLOGGED TABLE "])
        {
            if (definition.StartsWith(create, StringComparison.Ordinal) &&
                definition.AsSpan(create.Length).StartsWith(name, StringComparison.Ordinal) &&
                definition.Length > create.Length + name.Length && definition[create.Length + name.Length] == ' ')
                return true;
        }
        return false;
    }

    /// <summary>The table name at the start of <paramref name="text"/>: up to the first space outside double quotes.</summary>
    private static ReadOnlySpan<char> QualifiedName(ReadOnlySpan<char> text)
    {
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '"')
                quoted = !quoted;
            else if (text[i] == ' ' && !quoted)
                return text[..i];
        }
        return [];
    }

    private static void WriteInt(Span<byte> target, int value, int intSize)
    {
        target[0] = 0;
        var magnitude = (uint)value;
        for (var i = 1; i <= intSize; i++)
        {
            target[i] = (byte)magnitude;
            magnitude >>= 8;
        }
    }

    private static long ReadOffset(ReadOnlySpan<byte> bytes)
    {
        long value = 0;
        for (var i = Math.Min(bytes.Length, 8) - 1; i >= 0; i--)
            value = (value << 8) | bytes[i];
        return value;
    }

    private static void WriteOffset(Span<byte> target, long value)
    {
        target.Clear();
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        bytes[..Math.Min(8, target.Length)].CopyTo(target);
    }

    private sealed class EntryCollector : IArchiveVisitor
    {
        public List<ArchiveTocEntry> Entries { get; } = [];
        public bool TocComplete { get; private set; }

        public void OnHeader(ArchiveHeader header)
        {
        }

        public void OnTocEntry(ArchiveTocEntry entry) => Entries.Add(entry);
        public void OnTocComplete() => TocComplete = true;

        public void OnTableDataStart(int dumpId, ArchiveTocEntry? entry)
        {
        }

        public void OnTableData(ReadOnlySpan<byte> data)
        {
        }

        public void OnTableDataEnd()
        {
        }

        public void OnLargeObjectStart(uint oid)
        {
        }

        public void OnLargeObjectData(ReadOnlySpan<byte> data)
        {
        }

        public void OnLargeObjectEnd()
        {
        }

        public void OnEnd()
        {
        }
    }
}
