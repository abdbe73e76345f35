using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using Bulwark.Repository.Format;
using Bulwark.Storage;

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

    private const int MaxRecordSize = MaxFileSize + 256;

    private readonly IStorageBackend _backend;
    private readonly ObjectCodec _codec;

    internal WalArchive(IStorageBackend backend, ObjectCodec codec)
    {
        _backend = backend;
        _codec = codec;
    }

    /// <summary>
    /// Archives the file at <paramref name="path"/> as <paramref name="file"/>. Returns once the object is durable, or
    /// when the same content is already archived under the name. The same name with other content is a
    /// <see cref="ErrorKind.WalConflict"/>, and the archived object stays as it was.
    /// </summary>
    public async Task<WalPutOutcome> PutFileAsync(WalFileName file, string path, CancellationToken cancellationToken)
    {
        byte[] record;
        int headerLength;
        await using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            var length = stream.Length;
            if (length > MaxFileSize)
                throw new BulwarkException(ErrorKind.Refused,
                    $"{path} is {length} bytes, more than a WAL file can be ({ObjectLimits.Describe(MaxFileSize)})",
                    "archive_command must pass %p, a file PostgreSQL archives");
            headerLength = HeaderLength(file);
            // The record is built around the file's bytes in one array: a segment is read once and not copied.
            record = new byte[headerLength + length];
            await stream.ReadExactlyAsync(record.AsMemory(headerLength), cancellationToken).ConfigureAwait(false);
            if (stream.ReadByte() != -1)
                throw new BulwarkException(ErrorKind.Failed, $"{path} grew while it was read",
                    "PostgreSQL does not change a file it archives; check that nothing else writes to it");
        }
        return await PutRecordAsync(file, record, headerLength, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Archives <paramref name="content"/> as <paramref name="file"/>; see <see cref="PutFileAsync"/>.</summary>
    public Task<WalPutOutcome> PutAsync(WalFileName file, ReadOnlySpan<byte> content, CancellationToken cancellationToken)
    {
        if (content.Length > MaxFileSize)
            throw new ArgumentException("more than a WAL file can hold", nameof(content));
        var headerLength = HeaderLength(file);
        var record = new byte[headerLength + content.Length];
        content.CopyTo(record.AsSpan(headerLength));
        return PutRecordAsync(file, record, headerLength, cancellationToken);
    }

    private async Task<WalPutOutcome> PutRecordAsync(WalFileName file, byte[] record, int headerLength,
        CancellationToken cancellationToken)
    {
        var content = record.AsMemory(headerLength);
        var id = _codec.ComputeId(content.Span);
        WriteHeader(record, file, id, content.Length);
        var name = RepositoryLayout.WalName(file);
        if (await _backend.StatAsync(name, cancellationToken).ConfigureAwait(false) is not null)
        {
            var archived = await ReadAsync(file, cancellationToken).ConfigureAwait(false);
            if (archived is not null)
            {
                if (archived.Value.Id == id && archived.Value.Length == content.Length)
                    return WalPutOutcome.AlreadyArchived;
                throw new BulwarkException(ErrorKind.WalConflict,
                    $"{file.Name} is already archived in {_backend.Location} with other content ({archived.Value.Length} bytes, id {archived.Value.Id.ToString()[..12]}; this one: {content.Length} bytes, id {id.ToString()[..12]}); the archived file was kept",
                    "two servers may be archiving into the same repository (give each its own), or a server was restored without a new timeline; do not delete the archived file before you know which is right");
            }
        }
        var packed = _codec.Pack(record);
        await _backend.PutAsync(name, packed, cancellationToken).ConfigureAwait(false);
        return WalPutOutcome.Stored;
    }

    /// <summary>
    /// The content of an archived file, checked against its id and name; null when it is not archived. Damage is an
    /// <see cref="ErrorKind.Integrity"/> error.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> GetAsync(WalFileName file, CancellationToken cancellationToken)
    {
        // Spelled out: 'record.Content : null' would turn null into an empty memory through byte[].
        if (await ReadAsync(file, cancellationToken).ConfigureAwait(false) is not { } record)
            return null;
        return record.Content;
    }

    private async Task<(ObjectId Id, int Length, ReadOnlyMemory<byte> Content)?> ReadAsync(WalFileName file,
        CancellationToken cancellationToken)
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
        var record = _codec.Decode(stored, name, MaxRecordSize);
        var headerLength = HeaderLength(file);
        if (record.Length < headerLength || !record.AsSpan(0, Magic.Length).SequenceEqual(Magic) || record[Magic.Length] != Version)
            throw Damaged(name, "it is not a WAL record of this format");
        var nameLength = record[Magic.Length + 1];
        var offset = Magic.Length + 2;
        if (nameLength != file.Name.Length || !record.AsSpan(offset, nameLength).SequenceEqual(Encoding.ASCII.GetBytes(file.Name)))
            throw Damaged(name, "it holds another WAL file (it was moved or copied under this name)");
        offset += nameLength;
        var id = new ObjectId(record.AsSpan(offset, ObjectId.Size));
        offset += ObjectId.Size;
        var length = BinaryPrimitives.ReadInt64BigEndian(record.AsSpan(offset, 8));
        offset += 8;
        if (length != record.Length - offset)
            throw Damaged(name, $"it records {length} bytes but holds {record.Length - offset}");
        var content = record.AsMemory(offset);
        if (_codec.ComputeId(content.Span) != id)
            throw Damaged(name, "its content does not match its id");
        return (id, (int)length, content);
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
