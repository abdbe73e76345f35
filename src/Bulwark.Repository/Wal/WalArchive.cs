using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Bulwark.Repository.Format;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using ZstdNet;

namespace Bulwark.Repository.Wal;

/// <summary>
/// The WAL archive of a repository: one object per WAL file at wal/TTTTTTTT/NAME (<see cref="RepositoryLayout.WalName"/>).
/// An object is the repository's codec (zstd, then sealed when the repository is encrypted) around a record: the
/// magic "BWAL", a version byte, the file's name, the id of its content (SHA-256, or HMAC-SHA-256 when encrypted), its
/// length, and the content. The name inside binds the object to its place (an object moved under another name is
/// refused); the id is checked on every read. A put is a single atomic backend put, so a killed push leaves nothing
/// under the name; an existing name is never overwritten.
/// </summary>
public sealed class WalArchive
{
    private static readonly byte[] Magic = "BWAL"u8.ToArray();
    private const byte Version = 1;

    /// <summary>The largest WAL file a record holds: PostgreSQL's largest segment (1 GiB).</summary>
    public const int MaxFileSize = 1 << 30;

    private const int MaxRecordSize = MaxFileSize + 512;

    // The stored form's encoding byte (as ObjectCodec writes it): raw, or zstd frames.
    private const byte RawEncoding = 0;
    private const byte ZstdEncoding = 1;

    // Pieces a segment is read, hashed, compressed and decoded in.
    private const int PieceSize = 1 << 20;
    private const int StreamSlack = 1 << 16;

    private readonly IStorageBackend _backend;
    private readonly ObjectCodec _codec;
    private readonly int _compressionLevel;

    internal WalArchive(IStorageBackend backend, ObjectCodec codec, int compressionLevel)
    {
        _backend = backend;
        _codec = codec;
        _compressionLevel = compressionLevel;
    }

    /// <summary>
    /// The level's search, within a 512 KiB window and 32 K-entry tables: what a push holds for zstd stays under 1 MiB
    /// whatever the level (level 3's own 2 MiB window and tables cost a push 3.4 MiB more at its peak), and WAL's matches
    /// are near (a segment's level-3 object grows by 2-3 %).
    /// </summary>
    private CompressionOptions Options() => new(null, new Dictionary<ZSTD_cParameter, int>
    {
        [ZSTD_cParameter.ZSTD_c_windowLog] = 19,
        [ZSTD_cParameter.ZSTD_c_hashLog] = 15,
        [ZSTD_cParameter.ZSTD_c_chainLog] = 15,
    }, _compressionLevel);

    /// <summary>
    /// Archives the file at <paramref name="path"/> as <paramref name="file"/>. Returns once the object is durable, or
    /// when the same content is already archived under the name. The same name with other content is a
    /// <see cref="ErrorKind.WalConflict"/>, and the archived object stays as it was.
    /// </summary>
    /// <remarks>
    /// The file is read once, in pieces: each piece is hashed and compressed into the object's buffer, so a segment
    /// is held only compressed. The record's header (which holds the id, known at the end) is compressed last as a
    /// zstd frame of its own and placed before the content's frame; decoding the two frames gives the same record.
    /// The buffer is sized for the worst case but left uninitialised: only the pages written become resident.
    /// </remarks>
    public async Task<WalPutOutcome> PutFileAsync(WalFileName file, string path, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        byte[] buffer;
        int objectStart, objectEnd;
        ObjectId id;
        long length;
        await using (stream.ConfigureAwait(false))
        {
            length = stream.Length;
            if (length > MaxFileSize)
                throw new BulwarkException(ErrorKind.Refused,
                    $"{path} is {length} bytes, more than a WAL file can be ({ObjectLimits.Describe(MaxFileSize)})",
                    "archive_command must pass %p, a file PostgreSQL archives");
            (buffer, objectStart, objectEnd, id) = await PackAsync(file, stream, length, path, cancellationToken).ConfigureAwait(false);
        }
        return await PutPackedAsync(file, id, length, buffer.AsMemory(objectStart, objectEnd - objectStart), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Archives <paramref name="content"/> as <paramref name="file"/>; see <see cref="PutFileAsync"/>.</summary>
    public async Task<WalPutOutcome> PutAsync(WalFileName file, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > MaxFileSize)
            throw new ArgumentException("more than a WAL file can hold", nameof(content));
        using var stream = MemoryMarshal.TryGetArray(content, out var array)
            ? new MemoryStream(array.Array!, array.Offset, array.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
        var (buffer, objectStart, objectEnd, id) = await PackAsync(file, stream, content.Length, file.Name, cancellationToken)
            .ConfigureAwait(false);
        return await PutPackedAsync(file, id, content.Length, buffer.AsMemory(objectStart, objectEnd - objectStart), cancellationToken)
            .ConfigureAwait(false);
    }

    private async Task<WalPutOutcome> PutPackedAsync(WalFileName file, ObjectId id, long length, ReadOnlyMemory<byte> stored,
        CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.WalName(file);
        if (await _backend.StatAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            var archived = await ReadAsync(file, Stream.Null, cancellationToken).ConfigureAwait(false);
            if (archived is not null)
            {
                if (archived.Value.Id == id && archived.Value.Length == length)
                    return WalPutOutcome.AlreadyArchived;
                throw new BulwarkException(ErrorKind.WalConflict,
                    $"{file.Name} is already archived in {_backend.Location} with other content ({archived.Value.Length} bytes, id {archived.Value.Id.ToString()[..12]}; this one: {length} bytes, id {id.ToString()[..12]}); the archived file was kept",
                    "two servers may be archiving into the same repository (give each its own), or a server was restored without a new timeline; do not delete the archived file before you know which is right");
            }
        }
        await _backend.PutAsync(name, stored, cancellationToken).ConfigureAwait(false);
        return WalPutOutcome.Stored;
    }

    /// <summary>
    /// Builds the stored object in one pass over <paramref name="content"/>: the encoding byte, the header's frame and
    /// the content's frame, sealed in place. Returns the buffer and where the object lies in it.
    /// </summary>
    private async Task<(byte[] Buffer, int Start, int End, ObjectId Id)> PackAsync(WalFileName file, Stream content, long length,
        string source, CancellationToken cancellationToken)
    {
        var cipher = _codec.Cipher;
        var (sealBefore, sealAfter) = cipher.SealRoom;
        var headerLength = HeaderLength(file);
        var headerRoom = Compressor.GetCompressBound(headerLength);
        var contentStart = sealBefore + 1 + headerRoom;
        // zstd's bound for one-shot compression, plus room for the block and frame headers that streaming adds.
        var bound = (long)contentStart + Compressor.GetCompressBound((int)length) + StreamSlack + sealAfter;
        var buffer = GC.AllocateUninitializedArray<byte>((int)bound);
        var piece = ArrayPool<byte>.Shared.Rent(PieceSize);
        ObjectId id;
        int contentEnd;
        try
        {
            using var hash = cipher.CreateIdHash();
            var output = new MemoryStream(buffer, contentStart, buffer.Length - contentStart - sealAfter, writable: true);
            long read = 0;
            using (var compressor = new CompressionStream(output, Options(), PieceSize))
            {
                int n;
                while ((n = await content.ReadAsync(piece.AsMemory(0, PieceSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    read += n;
                    if (read > length)
                        break;
                    hash.AppendData(piece, 0, n);
                    compressor.Write(piece, 0, n);
                }
            }
            if (read != length)
                throw new BulwarkException(ErrorKind.Failed, $"{source} {(read > length ? "grew" : "shrank")} while it was read",
                    "PostgreSQL does not change a file it archives; check that nothing else writes to it");
            contentEnd = contentStart + (int)output.Position;
            Span<byte> mac = stackalloc byte[ObjectId.Size];
            hash.GetHashAndReset(mac);
            id = new ObjectId(mac);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
        var header = new byte[headerLength];
        WriteHeader(header, file, id, length);
        using var headerCompressor = new Compressor(Options());
        var headerFrame = headerCompressor.Wrap(header);
        var start = contentStart - headerFrame.Length - 1 - sealBefore;
        headerFrame.CopyTo(buffer, contentStart - headerFrame.Length);
        buffer[start + sealBefore] = ZstdEncoding;
        var end = contentEnd + sealAfter;
        cipher.SealInPlace(buffer.AsSpan(start, end - start));
        return (buffer, start, end, id);
    }

    /// <summary>
    /// The content of an archived file, checked against its id and name; null when it is not archived. Damage is an
    /// <see cref="ErrorKind.Integrity"/> error. Holds the whole file: for small files (history); a segment goes
    /// through <see cref="FetchAsync"/>.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> GetAsync(WalFileName file, CancellationToken cancellationToken)
    {
        var sink = new MemoryStream();
        if (await ReadAsync(file, sink, cancellationToken).ConfigureAwait(false) is null)
            return null;
        return sink.GetBuffer().AsMemory(0, (int)sink.Length);
    }

    /// <summary>
    /// Reads and checks an archived file without keeping its content; its length, or null when it is not archived.
    /// </summary>
    public async Task<long?> CheckAsync(WalFileName file, CancellationToken cancellationToken) =>
        (await ReadAsync(file, Stream.Null, cancellationToken).ConfigureAwait(false))?.Length;

    /// <summary>
    /// Writes an archived file to <paramref name="target"/> atomically (a temporary file, fsync, rename), decoding it
    /// piece by piece; the file appears only once its content matched its id. False when it is not archived.
    /// </summary>
    /// <exception cref="IOException">The target cannot be written.</exception>
    public async Task<bool> FetchAsync(WalFileName file, string target, AtomicWriteOptions options, CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.WalName(file);
        byte[] stored;
        try
        {
            stored = await _backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return false;
        }
        await AtomicFile.WriteAsync(target, (stream, ct) => DecodeAsync(file, name, stored, stream, ct), options, cancellationToken)
            .ConfigureAwait(false);
        return true;
    }

    private async Task<(ObjectId Id, long Length)?> ReadAsync(WalFileName file, Stream sink, CancellationToken cancellationToken)
    {
        var name = RepositoryLayout.WalName(file);
        byte[] stored;
        try
        {
            stored = await _backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        return await DecodeAsync(file, name, stored, sink, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Opens a stored object (decrypting in place), decodes its record piece by piece into <paramref name="sink"/>, and
    /// checks the name, length and id. Reads the objects this version writes (a header frame and a content frame
    /// without a recorded size) and those earlier versions wrote (one frame, or raw).
    /// </summary>
    private async Task<(ObjectId Id, long Length)> DecodeAsync(WalFileName file, string name, byte[] stored, Stream sink,
        CancellationToken cancellationToken)
    {
        if (stored.Length > (long)MaxRecordSize + 64)
            throw Damaged(name, $"it is {stored.Length} bytes stored, more than a WAL record can be");
        var packed = _codec.Cipher.OpenInPlace(stored, name);
        if (packed.Count == 0)
            throw Damaged(name, "it is empty");
        var payload = new MemoryStream(packed.Array!, packed.Offset + 1, packed.Count - 1, writable: false);
        Stream record = packed[0] switch
        {
            RawEncoding => payload,
            ZstdEncoding => new DecompressionStream(payload, PieceSize),
            _ => throw Damaged(name, $"it has an unknown encoding {packed[0]}"),
        };
        var piece = ArrayPool<byte>.Shared.Rent(PieceSize);
        try
        {
            await using (record.ConfigureAwait(false))
            {
                var headerLength = HeaderLength(file);
                await ReadDecodedAsync(record, piece.AsMemory(0, headerLength), name, cancellationToken).ConfigureAwait(false);
                var header = piece.AsSpan(0, headerLength);
                if (!header[..Magic.Length].SequenceEqual(Magic) || header[Magic.Length] != Version)
                    throw Damaged(name, "it is not a WAL record of this format");
                var nameLength = header[Magic.Length + 1];
                var offset = Magic.Length + 2;
                if (nameLength != file.Name.Length || !header.Slice(offset, nameLength).SequenceEqual(Encoding.ASCII.GetBytes(file.Name)))
                    throw Damaged(name, "it holds another WAL file (it was moved or copied under this name)");
                offset += nameLength;
                var id = new ObjectId(header.Slice(offset, ObjectId.Size));
                offset += ObjectId.Size;
                var length = BinaryPrimitives.ReadInt64BigEndian(header.Slice(offset, 8));
                if (length is < 0 or > MaxFileSize)
                    throw Damaged(name, $"it records {length} bytes, more than a WAL file can be");
                using var hash = _codec.Cipher.CreateIdHash();
                long left = length;
                while (left > 0)
                {
                    var n = await ReadDecodedAsync(record, piece.AsMemory(0, (int)Math.Min(PieceSize, left)), name, cancellationToken,
                        partial: true).ConfigureAwait(false);
                    if (n == 0)
                        throw Damaged(name, $"it records {length} bytes but holds {length - left}");
                    hash.AppendData(piece, 0, n);
                    await sink.WriteAsync(piece.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                    left -= n;
                }
                if (await ReadDecodedAsync(record, piece.AsMemory(0, 1), name, cancellationToken, partial: true).ConfigureAwait(false) != 0)
                    throw Damaged(name, $"it holds more than the {length} bytes it records");
                Span<byte> mac = stackalloc byte[ObjectId.Size];
                hash.GetHashAndReset(mac);
                if (new ObjectId(mac) != id)
                    throw Damaged(name, "its content does not match its id");
                return (id, length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(piece);
        }
    }

    private static async Task<int> ReadDecodedAsync(Stream record, Memory<byte> into, string name, CancellationToken cancellationToken,
        bool partial = false)
    {
        try
        {
            if (partial)
                return await record.ReadAsync(into, cancellationToken).ConfigureAwait(false);
            await record.ReadExactlyAsync(into, cancellationToken).ConfigureAwait(false);
            return into.Length;
        }
        catch (EndOfStreamException)
        {
            throw Damaged(name, "it ends inside its header");
        }
        catch (ZstdException e)
        {
            throw Damaged(name, "it does not decompress (" + e.Message + ")");
        }
    }

    /// <summary>Whether <paramref name="file"/> is archived (one stat, nothing read).</summary>
    public async Task<bool> ExistsAsync(WalFileName file, CancellationToken cancellationToken) =>
        await _backend.StatAsync(RepositoryLayout.WalName(file), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Every archived WAL file (of one timeline when given), in no particular order.</summary>
    public async IAsyncEnumerable<ArchivedWalFile> ListAsync(uint? timeline = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prefix = timeline is { } t ? RepositoryLayout.WalTimelineFolder(t) : RepositoryLayout.WalFolder;
        await foreach (var info in _backend.ListAsync(prefix, cancellationToken).ConfigureAwait(false))
        {
            if (RepositoryLayout.TryParseWalName(info.Name, out var file))
                yield return new ArchivedWalFile(file, info.Size, info.LastModified);
        }
    }

    /// <summary>Removes an archived file; a missing one is not an error.</summary>
    public Task DeleteAsync(WalFileName file, CancellationToken cancellationToken) =>
        _backend.DeleteAsync(RepositoryLayout.WalName(file), cancellationToken);

    private static int HeaderLength(WalFileName file) => Magic.Length + 2 + file.Name.Length + ObjectId.Size + 8;

    private static void WriteHeader(Span<byte> record, WalFileName file, ObjectId id, long length)
    {
        Magic.CopyTo(record);
        record[Magic.Length] = Version;
        record[Magic.Length + 1] = (byte)file.Name.Length;
        var offset = Magic.Length + 2;
        offset += Encoding.ASCII.GetBytes(file.Name, record[offset..]);
        id.CopyTo(record.Slice(offset, ObjectId.Size));
        offset += ObjectId.Size;
        BinaryPrimitives.WriteInt64BigEndian(record[offset..], length);
    }

    private static BulwarkException Damaged(string name, string why) =>
        new(ErrorKind.Integrity, $"WAL object {name} is damaged: {why}",
            "run 'bulwark verify' to see which restores it breaks; the server's own pg_wal may still hold the file");
}
