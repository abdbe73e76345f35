using System.Text;

namespace Bulwark.Sources.Postgres.Archive;

/// <summary>
/// A streaming reader of pg_dump's custom archive format (pg_backup_archiver.c, pg_backup_custom.c), archive
/// versions 1.12 to 1.16 (pg_dump 9.0 to 17): bytes are pushed in as they arrive, in pieces of any size, and the
/// header, table of contents and data blocks are reported to an <see cref="IArchiveVisitor"/>. Memory holds the
/// table of contents and a few bytes of state, never the data. Only uncompressed archives (-Z0) have readable data.
/// </summary>
/// <remarks>
/// Layout: "PGDMP", version (major, minor, revision), int size, offset size, format (1 = custom), compression
/// (a byte from 1.15, an int before), creation time (7 ints), database name, server and pg_dump versions, then the
/// number of TOC entries and the entries, then data blocks until the end: a block type byte (1 = table data,
/// 3 = large objects), the dump id, and length-prefixed pieces ending with a zero length (large objects: an oid before
/// each object's pieces, and a zero oid at the end). An int is a sign byte and int-size bytes, least significant first.
/// </remarks>
public sealed class CustomArchiveParser
{
    public const int BlockData = 1;
    public const int BlockLargeObjects = 3;
    private const int FormatCustom = 1;
    private static readonly int MinVersion = ArchiveHeader.MakeVersion(1, 12);
    private static readonly int MaxVersion = ArchiveHeader.MakeVersion(1, 16) + 255;

    private readonly IArchiveVisitor _visitor;
    private readonly Dictionary<int, ArchiveTocEntry> _entries = [];

    // Header and table of contents: bytes are kept until a whole item can be read.
    private byte[] _prelude = new byte[64 * 1024];
    private int _preludeStart;
    private int _preludeEnd;
    private int _tocRemaining = -1;
    private ArchiveHeader? _header;

    // Data blocks.
    private DataState _state = DataState.BlockType;
    private bool _inData;
    private readonly byte[] _number = new byte[40];
    private int _numberLength;
    private int _remaining;
    private bool _largeObjects;
    private long _offset;
    private bool _completed;

    public CustomArchiveParser(IArchiveVisitor visitor)
    {
        _visitor = visitor;
    }

    private enum DataState
    {
        BlockType,
        BlockId,
        PieceLength,
        PieceBytes,
        LargeObjectOid,
    }

    public ArchiveHeader? Header => _header;

    /// <summary>True once every TOC entry was read.</summary>
    public bool TocComplete => _inData;

    /// <summary>Bytes consumed so far.</summary>
    public long Position => _offset;

    /// <summary>Reads the next piece of the archive.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        if (_completed)
            throw new InvalidOperationException("the parser has completed");
        if (!_inData)
        {
            Append(data);
            ReadPrelude();
            if (!_inData)
                return;
            var rest = _prelude.AsSpan(_preludeStart, _preludeEnd - _preludeStart);
            _preludeStart = _preludeEnd = 0;
            _prelude = [];
            FeedData(rest);
            return;
        }
        FeedData(data);
    }

    /// <summary>The archive ended: checks that it ended between blocks.</summary>
    public void Complete()
    {
        if (_completed)
            return;
        _completed = true;
        if (!_inData)
            throw new ArchiveFormatException(_header is null ? "it ended inside the header" : "it ended inside the table of contents",
                _offset + (_preludeEnd - _preludeStart));
        if (_state != DataState.BlockType || _numberLength > 0)
            throw new ArchiveFormatException("it ended inside a data block (the dump is truncated)", _offset);
        _visitor.OnEnd();
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        var length = _preludeEnd - _preludeStart;
        if (_prelude.Length - _preludeEnd < data.Length)
        {
            var target = _prelude.Length < length + data.Length
                ? new byte[Math.Max(_prelude.Length * 2, length + data.Length)]
                : _prelude;
            Buffer.BlockCopy(_prelude, _preludeStart, target, 0, length);
            _prelude = target;
            _preludeStart = 0;
            _preludeEnd = length;
        }
        data.CopyTo(_prelude.AsSpan(_preludeEnd));
        _preludeEnd += data.Length;
    }

    private void ReadPrelude()
    {
        while (!_inData)
        {
            var reader = new Reader(_prelude.AsSpan(_preludeStart, _preludeEnd - _preludeStart), _header?.IntSize ?? 0, _offset);
            if (_header is null)
            {
                if (!TryReadHeader(ref reader, out var header))
                    return;
                _header = header;
                _visitor.OnHeader(header);
            }
            else if (_tocRemaining < 0)
            {
                if (!reader.TryInt(out var count))
                    return;
                if (count < 0 || count > 100_000_000)
                    throw new ArchiveFormatException($"the table of contents claims {count} entries", _offset);
                _tocRemaining = count;
            }
            else if (_tocRemaining > 0)
            {
                if (!TryReadEntry(ref reader, _header, out var entry))
                    return;
                _entries[entry.DumpId] = entry;
                _tocRemaining--;
                _visitor.OnTocEntry(entry);
            }
            else
            {
                _inData = true;
                _visitor.OnTocComplete();
                return;
            }
            _preludeStart += reader.Consumed;
            _offset += reader.Consumed;
        }
    }

    private static bool TryReadHeader(ref Reader reader, out ArchiveHeader header)
    {
        header = null!;
        if (!reader.TryBytes(5, out var magic))
            return false;
        if (!magic.SequenceEqual("PGDMP"u8))
            throw new ArchiveFormatException("it does not start with PGDMP (not a custom-format dump)", 0);
        if (!reader.TryByte(out var major) || !reader.TryByte(out var minor) || !reader.TryByte(out var revision))
            return false;
        var version = ArchiveHeader.MakeVersion(major, minor) + revision;
        if (version < MinVersion)
            throw new ArchiveFormatException($"archive version {major}.{minor} is older than 1.12 (pg_dump before 9.0)", 5);
        if (version > MaxVersion)
            throw new ArchiveFormatException($"archive version {major}.{minor} is newer than this Bulwark reads (1.16, pg_dump 17)", 5);
        if (!reader.TryByte(out var intSize) || !reader.TryByte(out var offsetSize) || !reader.TryByte(out var format))
            return false;
        if (intSize is < 1 or > 8 || offsetSize is < 1 or > 16)
            throw new ArchiveFormatException($"integer size {intSize} or offset size {offsetSize} is out of range", 8);
        if (format != FormatCustom)
            throw new ArchiveFormatException($"format {format} is not the custom format (1)", 10);
        reader.IntSize = intSize;
        bool compressed;
        if (version >= ArchiveHeader.MakeVersion(1, 15))
        {
            if (!reader.TryByte(out var algorithm))
                return false;
            compressed = algorithm != 0;
        }
        else
        {
            if (!reader.TryInt(out var level))
                return false;
            compressed = level != 0;
        }
        for (var i = 0; i < 7; i++)
        {
            if (!reader.TryInt(out _))
                return false; // creation time
        }
        if (!reader.TryString(out var database) || !reader.TryString(out var serverVersion) || !reader.TryString(out var dumpVersion))
            return false;
        header = new ArchiveHeader
        {
            Major = major,
            Minor = minor,
            Revision = revision,
            IntSize = intSize,
            OffsetSize = offsetSize,
            Compressed = compressed,
            DatabaseName = database,
            ServerVersion = serverVersion,
            DumpVersion = dumpVersion,
        };
        return true;
    }

    private static bool TryReadEntry(ref Reader reader, ArchiveHeader header, out ArchiveTocEntry entry)
    {
        entry = null!;
        var version = header.VersionNumber;
        if (!reader.TryInt(out var dumpId) || !reader.TryInt(out var hadDumper))
            return false;
        if (dumpId <= 0)
            throw new ArchiveFormatException($"TOC entry id {dumpId} is out of range", reader.Position);
        if (!reader.TryString(out _) || !reader.TryString(out _)) // table oid, oid
            return false;
        if (!reader.TryString(out var tag) || !reader.TryString(out var description) || !reader.TryInt(out var section))
            return false;
        if (!reader.TryString(out var definition) || !reader.TryString(out var drop))
            return false;
        var copyAt = reader.Position;
        if (!reader.TryString(out var copy))
            return false;
        var copyLength = (int)(reader.Position - copyAt);
        if (!reader.TryString(out var ns) || !reader.TryString(out var tablespace) || !reader.TryString(out var tableAm))
            return false;
        if (version >= ArchiveHeader.MakeVersion(1, 16) && !reader.TryInt(out _)) // relkind
            return false;
        if (!reader.TryString(out var owner) || !reader.TryString(out _)) // owner, "with oids"
            return false;
        var dependencies = new List<int>();
        while (true)
        {
            if (!reader.TryString(out var dependency))
                return false;
            if (dependency is null)
                break;
            if (int.TryParse(dependency, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var id))
                dependencies.Add(id);
        }
        // The custom format's extra TOC data: the data block's offset (a flag byte and offset-size bytes).
        var offsetAt = reader.Position;
        if (!reader.TryByte(out var flag) || !reader.TryBytes(header.OffsetSize, out _))
            return false;
        if (flag is < 1 or > 3)
            throw new ArchiveFormatException($"unexpected data offset flag {flag} in TOC entry {dumpId}", reader.Position);
        entry = new ArchiveTocEntry
        {
            DumpId = dumpId,
            HasData = hadDumper != 0,
            Tag = tag ?? "",
            Description = description ?? "",
            Section = section,
            Definition = definition,
            DropStatement = drop,
            CopyStatement = copy,
            Namespace = ns,
            Tablespace = tablespace,
            TableAccessMethod = tableAm,
            Owner = owner,
            Dependencies = dependencies,
            CopyStatementPosition = copyAt,
            CopyStatementEncodedLength = copyLength,
            DataOffsetPosition = offsetAt,
            DataOffsetFlag = flag,
        };
        return true;
    }

    private void FeedData(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if (_state == DataState.PieceBytes)
            {
                var take = Math.Min(_remaining, data.Length);
                if (_largeObjects)
                    _visitor.OnLargeObjectData(data[..take]);
                else
                    _visitor.OnTableData(data[..take]);
                data = data[take..];
                _offset += take;
                _remaining -= take;
                if (_remaining == 0)
                    _state = DataState.PieceLength;
                continue;
            }
            var need = _state == DataState.BlockType ? 1 : 1 + _header!.IntSize;
            var copy = Math.Min(need - _numberLength, data.Length);
            data[..copy].CopyTo(_number.AsSpan(_numberLength));
            _numberLength += copy;
            data = data[copy..];
            if (_numberLength < need)
                break;
            var at = _offset;
            _offset += need;
            _numberLength = 0;
            if (_state == DataState.BlockType)
            {
                _largeObjects = _number[0] switch
                {
                    BlockData => false,
                    BlockLargeObjects => true,
                    _ => throw new ArchiveFormatException($"unknown data block type {_number[0]}", at),
                };
                if (_header!.Compressed && !_largeObjects)
                    throw new ArchiveFormatException("the data is compressed; Bulwark dumps with --compress=0", at);
                _state = DataState.BlockId;
                continue;
            }
            var value = DecodeInt(_number.AsSpan(0, need), at);
            switch (_state)
            {
                case DataState.BlockId:
                    if (_largeObjects)
                    {
                        _state = DataState.LargeObjectOid;
                    }
                    else
                    {
                        _visitor.OnTableDataStart(value, _entries.GetValueOrDefault(value));
                        _state = DataState.PieceLength;
                    }
                    break;
                case DataState.LargeObjectOid:
                    if (value == 0)
                    {
                        _state = DataState.BlockType;
                    }
                    else
                    {
                        if (_header!.Compressed)
                            throw new ArchiveFormatException("the data is compressed; Bulwark dumps with --compress=0", at);
                        _visitor.OnLargeObjectStart(unchecked((uint)value));
                        _state = DataState.PieceLength;
                    }
                    break;
                case DataState.PieceLength:
                    if (value < 0)
                        throw new ArchiveFormatException($"negative data length {value}", at);
                    if (value == 0)
                    {
                        if (_largeObjects)
                        {
                            _visitor.OnLargeObjectEnd();
                            _state = DataState.LargeObjectOid;
                        }
                        else
                        {
                            _visitor.OnTableDataEnd();
                            _state = DataState.BlockType;
                        }
                    }
                    else
                    {
                        _remaining = value;
                        _state = DataState.PieceBytes;
                    }
                    break;
            }
        }
    }

    private static int DecodeInt(ReadOnlySpan<byte> bytes, long at)
    {
        long magnitude = 0;
        for (var i = bytes.Length - 1; i >= 1; i--)
            magnitude = (magnitude << 8) | bytes[i];
        if (magnitude > uint.MaxValue)
            throw new ArchiveFormatException($"integer {magnitude} is out of range", at);
        return unchecked((int)(bytes[0] != 0 ? -magnitude : magnitude));
    }

    /// <summary>Reads items from the kept prelude bytes; every Try method leaves the position alone when short.</summary>
    private ref struct Reader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly long _base;
        private int _position;

        public Reader(ReadOnlySpan<byte> data, int intSize, long baseOffset)
        {
            _data = data;
            IntSize = intSize;
            _base = baseOffset;
        }

        public int IntSize { get; set; }
        public readonly int Consumed => _position;
        public readonly long Position => _base + _position;

        public bool TryByte(out byte value)
        {
            if (_position >= _data.Length)
            {
                value = 0;
                return false;
            }
            value = _data[_position++];
            return true;
        }

        public bool TryBytes(int count, out ReadOnlySpan<byte> value)
        {
            if (_data.Length - _position < count)
            {
                value = default;
                return false;
            }
            value = _data.Slice(_position, count);
            _position += count;
            return true;
        }

        public bool TryInt(out int value)
        {
            value = 0;
            if (!TryBytes(1 + IntSize, out var bytes))
                return false;
            value = DecodeInt(bytes, Position - bytes.Length);
            return true;
        }

        /// <summary>A length-prefixed string; null when the length is negative.</summary>
        public bool TryString(out string? value)
        {
            value = null;
            var start = _position;
            if (!TryInt(out var length))
                return false;
            if (length < 0)
                return true;
            if (length > 1 << 30)
                throw new ArchiveFormatException($"string of {length} bytes", Position);
            if (!TryBytes(length, out var bytes))
            {
                _position = start;
                return false;
            }
            value = Encoding.UTF8.GetString(bytes);
            return true;
        }
    }
}
