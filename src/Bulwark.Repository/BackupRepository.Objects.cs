using System.Runtime.CompilerServices;
using Bulwark.Repository.Format;
using Bulwark.Storage;

namespace Bulwark.Repository;

// Small objects by name (locks, keys, events, records), through the repository's codec: for what reads or plants them
// outside this assembly, e.g. the crash harness and fixtures of damaged repositories. The backend stays inside.
public sealed partial class BackupRepository
{
    /// <summary>Every object under <paramref name="folder"/>, one of the folders of <see cref="RepositoryLayout"/>.</summary>
    public async IAsyncEnumerable<StorageObjectInfo> ListObjectsAsync(string folder,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        CheckInLayout(folder.TrimEnd('/'), nameof(folder));
        await foreach (var info in Backend.ListAsync(folder, cancellationToken).ConfigureAwait(false))
            yield return info;
    }

    /// <summary>
    /// The content of a small object, decoded (decrypted and decompressed) but not checked against an id; null when
    /// it does not exist. One that does not decode, or is larger than <paramref name="maxSize"/>, is an integrity
    /// error naming it.
    /// </summary>
    public async Task<byte[]?> ReadObjectAsync(string name, int maxSize, CancellationToken cancellationToken)
    {
        CheckInLayout(name, nameof(name));
        byte[] stored;
        try
        {
            stored = await Backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
        return Codec.Decode(stored, name, maxSize);
    }

    /// <summary>Stores <paramref name="content"/> under <paramref name="name"/> as the repository stores every object
    /// (compressed and, when the repository is encrypted, sealed).</summary>
    public Task WriteObjectAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        CheckInLayout(name, nameof(name));
        return Backend.PutAsync(name, Codec.Pack(content.Span), cancellationToken);
    }

    /// <summary>Removes an object; one already gone is no error.</summary>
    public Task DeleteObjectAsync(string name, CancellationToken cancellationToken)
    {
        CheckInLayout(name, nameof(name));
        return Backend.DeleteAsync(name, cancellationToken);
    }

    /// <summary>The id this repository gives <paramref name="content"/> (keyed when the repository is encrypted).</summary>
    public ObjectId ContentId(ReadOnlySpan<byte> content) => Codec.ComputeId(content);

    /// <summary>What the repository stores for <paramref name="content"/>: compressed and, when encrypted, sealed
    /// (what <see cref="WriteChunkAsync"/> takes).</summary>
    public byte[] Pack(ReadOnlySpan<byte> content) => Codec.Pack(content);

    /// <summary>Whether objects are encrypted (ids are then keyed: the same content has another id elsewhere).</summary>
    public bool Encrypted => Codec.Cipher.Encrypts;

    private static void CheckInLayout(string name, string parameter)
    {
        ObjectNames.Validate(name);
        if (!RepositoryLayout.IsInLayout(name))
            throw new ArgumentException($"'{name}' is not in a folder of the repository layout", parameter);
    }
}
