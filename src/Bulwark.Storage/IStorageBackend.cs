namespace Bulwark.Storage;

/// <summary>
/// A place that holds named objects. The contract every backend keeps (the conformance tests check it):
/// <list type="bullet">
/// <item>Names are relative, use '/' as separator, and contain only [A-Za-z0-9._-/]; no empty segment, no "." or "..".</item>
/// <item><see cref="PutAsync"/> is atomic: a reader sees the whole new content or the previous state, never part of it,
/// also after a crash, and also when the put fails or is cancelled midway. Putting an existing name replaces it.</item>
/// <item>A put, also of an existing name with the same content, sets the object's modification time to the time of the
/// put: garbage collection keeps an object rewritten during a sweep by that time (docs/garbage-collection.md).</item>
/// <item>A listing returns every object under the prefix once, however many pages the store serves it in.</item>
/// <item>A put, get or list whose token is cancelled throws <see cref="OperationCanceledException"/>; a cancelled put
/// leaves the previous state.</item>
/// <item>Reads are idempotent. A missing object is <see cref="ObjectNotFoundException"/> (or null from
/// <see cref="StatAsync"/>), told apart from every other failure.</item>
/// <item>Deleting a missing object succeeds.</item>
/// <item>Failures are <see cref="StorageException"/>; <see cref="BulwarkException.IsTransient"/> says whether a retry may help.</item>
/// </list>
/// </summary>
public interface IStorageBackend : IAsyncDisposable
{
    /// <summary>Where this backend stores, safe to print: never holds a password, key or token.</summary>
    string Location { get; }

    /// <summary>What this backend is (local or remote, atomic replace, listing consistency); decorators pass it through.</summary>
    StorageCapabilities Capabilities { get; }

    /// <summary>Prepares the location to hold a new repository (creates the folder; an object store checks the bucket).</summary>
    Task CreateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Creates, where objects live in folders, the folders a new repository will fill, so that its first backup does not
    /// create them one by one. Stores without folders have nothing to do.
    /// </summary>
    Task CreateFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Stores <paramref name="data"/> under <paramref name="name"/>, atomically and durably.</summary>
    Task PutAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Stores an object that nothing reads until a later write refers to it (a chunk, before the manifest that lists it),
    /// for less than <see cref="PutAsync"/> costs: the object is durable once <see cref="SyncFoldersAsync"/> of its
    /// folder returns, and until this put returns, or after a crash or failure before that sync, the name may hold part
    /// of the data. So the caller trusts such an object only once the write that refers to it is made, and otherwise
    /// puts it again, which replaces whatever is there. A local folder writes the file in place and syncs each folder
    /// once, not once per object; an object store's put is whole and durable anyway.
    /// </summary>
    Task PutUnsyncedAsync(string name, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        PutAsync(name, data, cancellationToken);

    /// <summary>Makes durable the names that <see cref="PutUnsyncedAsync"/> put directly under these folders ("chunks/ab").</summary>
    Task SyncFoldersAsync(IReadOnlyCollection<string> prefixes, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Reads a whole object.</summary>
    /// <exception cref="ObjectNotFoundException">The object does not exist.</exception>
    Task<byte[]> GetAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a whole object into <paramref name="buffer"/> when it fits, else into an array of its own, so that reading
    /// many objects back allocates nothing per object. The default reads an array and copies it.
    /// </summary>
    /// <exception cref="ObjectNotFoundException">The object does not exist.</exception>
    async Task<ArraySegment<byte>> GetAsync(string name, byte[] buffer, CancellationToken cancellationToken)
    {
        var data = await GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (data.Length > buffer.Length)
            return data;
        data.CopyTo(buffer, 0);
        return new ArraySegment<byte>(buffer, 0, data.Length);
    }

    /// <summary>Size and time of an object, or null when it does not exist.</summary>
    Task<StorageObjectInfo?> StatAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every object whose name starts with <paramref name="prefix"/>, in no particular order.</summary>
    IAsyncEnumerable<StorageObjectInfo> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Removes an object; a missing object is not an error.</summary>
    Task DeleteAsync(string name, CancellationToken cancellationToken);
}
