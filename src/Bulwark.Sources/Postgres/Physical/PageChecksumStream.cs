using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// Passes a relation file through while checking each page against its checksum (clusters with data checksums), as
/// pg_basebackup does when it sends a file: new pages and pages written since the backup started are skipped (WAL
/// replay rewrites them, and a write may be under way); a page that fails is read once more, since a write may have
/// torn the first read, and the second read is the one kept.
/// </summary>
internal sealed class PageChecksumStream : Stream
{
    public const int PageSize = 8192;

    private readonly FileStream _file;
    private readonly uint _firstBlock;
    private readonly ulong _startLsn;
    private readonly Action<uint> _failed;
    private readonly byte[] _carry = new byte[PageSize];
    private int _carryStart;
    private int _carryEnd;
    private long _position;
    private bool _aligned = true;

    /// <param name="firstBlock">The block number of the file's first page (its segment number × pages per segment).</param>
    /// <param name="failed">Called with the block number of each page that fails twice.</param>
    public PageChecksumStream(FileStream file, uint firstBlock, ulong startLsn, Action<uint> failed)
    {
        _file = file;
        _firstBlock = firstBlock;
        _startLsn = startLsn;
        _failed = failed;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_carryEnd == _carryStart && buffer.Length < PageSize)
        {
            _carryStart = 0;
            _carryEnd = await ReadPagesAsync(_carry, cancellationToken).ConfigureAwait(false);
        }
        if (_carryEnd > _carryStart)
        {
            var count = Math.Min(buffer.Length, _carryEnd - _carryStart);
            _carry.AsMemory(_carryStart, count).CopyTo(buffer);
            _carryStart += count;
            return count;
        }
        return await ReadPagesAsync(buffer[..(buffer.Length - buffer.Length % PageSize)], cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads whole pages into <paramref name="buffer"/> (a multiple of the page size) and checks them.</summary>
    private async Task<int> ReadPagesAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await _file.ReadAsync(buffer[read..], cancellationToken).ConfigureAwait(false);
            if (n == 0)
                break;
            read += n;
        }
        if (_aligned)
        {
            for (var offset = 0; offset + PageSize <= read; offset += PageSize)
                Check(buffer.Span.Slice(offset, PageSize), _position + offset);
            // A file cut short mid-page (truncated or extended while read): WAL replay rewrites its end.
            _aligned = read % PageSize == 0;
        }
        _position += read;
        return read;
    }

    private void Check(Span<byte> page, long offset)
    {
        var block = _firstBlock + (uint)(offset / PageSize);
        if (Passes(page, block))
            return;
        // Shorter: the relation was truncated meanwhile (VACUUM), and WAL replay truncates it again.
        if (RandomAccess.Read(_file.SafeFileHandle, page, offset) == PageSize && !Passes(page, block))
            _failed(block);
    }

    private bool Passes(ReadOnlySpan<byte> page, uint block)
    {
        if (BinaryPrimitives.ReadUInt16LittleEndian(page[14..]) == 0) // pd_upper: a new page, no checksum yet
            return true;
        var lsn = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(page) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(page[4..]);
        return lsn >= _startLsn || Checksum(page, block) == BinaryPrimitives.ReadUInt16LittleEndian(page[8..]);
    }

    private static readonly uint[] BaseOffsets =
    [
        0x5B1F36E9, 0xB8525960, 0x02AB50AA, 0x1DE66D2A, 0x79FF467A, 0x9BB9F8A3, 0x217E7CD2, 0x83E13D2C,
        0xF8D4474F, 0xE39EB970, 0x42C6AE16, 0x993216FA, 0x7B093B5D, 0x98DAFF3C, 0xF718902A, 0x0B1C9CDB,
        0xE58F764B, 0x187636BC, 0x5D7B3BB1, 0xE73DE7DE, 0x92BEC979, 0xCCA6C0B2, 0x304A0979, 0x85AA43D4,
        0x783125BB, 0x6CA8EAA2, 0xE407EAC6, 0x4B5CFC3E, 0x9FBF8C76, 0x15CA20BE, 0xF2CA9FD3, 0x959BD756,
    ];

    private const uint FnvPrime = 16777619;

    /// <summary>PostgreSQL's page checksum (storage/checksum_impl.h): 32 FNV-1a-like lanes, the block number mixed in.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> page, uint block)
    {
        var words = MemoryMarshal.Cast<byte, uint>(page);
        uint result = 0;
        if (Vector256.IsHardwareAccelerated && BitConverter.IsLittleEndian)
        {
            var lanes = new Vector256<uint>[4];
            for (var k = 0; k < 4; k++)
                lanes[k] = Vector256.Create<uint>(BaseOffsets.AsSpan(k * 8, 8));
            var prime = Vector256.Create(FnvPrime);
            for (var i = 0; i < words.Length; i += 32)
            {
                for (var k = 0; k < 4; k++)
                {
                    var value = Vector256.Create(words.Slice(i + k * 8, 8));
                    if (i == 0 && k == 0) // pd_checksum (the low half of word 2) counts as zero
                        value = value.WithElement(2, words[2] & 0xFFFF0000);
                    var mixed = lanes[k] ^ value;
                    lanes[k] = (mixed * prime) ^ Vector256.ShiftRightLogical(mixed, 17);
                }
            }
            for (var round = 0; round < 2; round++)
                for (var k = 0; k < 4; k++)
                    lanes[k] = (lanes[k] * prime) ^ Vector256.ShiftRightLogical(lanes[k], 17);
            for (var k = 0; k < 4; k++)
                for (var e = 0; e < 8; e++)
                    result ^= lanes[k].GetElement(e);
        }
        else
        {
            Span<uint> sums = stackalloc uint[32];
            BaseOffsets.CopyTo(sums);
            for (var i = 0; i < words.Length; i += 32)
                for (var j = 0; j < 32; j++)
                {
                    var value = i == 0 && j == 2 ? words[2] & 0xFFFF0000 : words[i + j];
                    var mixed = sums[j] ^ value;
                    sums[j] = (mixed * FnvPrime) ^ (mixed >> 17);
                }
            for (var round = 0; round < 2; round++)
                for (var j = 0; j < 32; j++)
                    sums[j] = (sums[j] * FnvPrime) ^ (sums[j] >> 17);
            foreach (var sum in sums)
                result ^= sum;
        }
        result ^= block;
        return (ushort)(result % 65535 + 1);
    }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _position - (_carryEnd - _carryStart); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
