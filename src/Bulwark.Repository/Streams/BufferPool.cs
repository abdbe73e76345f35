using System.Collections.Concurrent;

namespace Bulwark.Repository.Streams;

/// <summary>
/// Chunk buffers of at least the largest chunk's size (a repository's also hold a stored chunk's overhead), owned by one
/// backup's uploader, or by a repository for the streams read back from it. Their queues and read-ahead bound how many
/// are out at once, so the pool never grows past that; ArrayPool.Shared instead kept arrays of four sizes per thread and
/// per core, which the GC never reclaims during a backup, and a fresh array per chunk read back cost page faults, zeroing
/// and collections.
/// </summary>
internal sealed class BufferPool(int size)
{
    private readonly ConcurrentBag<byte[]> _free = [];

    public int Size => size;

    // On the pinned-object heap: living on the large-object heap, the pool's buffers counted as survivors there and
    // grew the budget of garbage that heap may gather before a full collection.
    public byte[] Rent() => _free.TryTake(out var array) ? array : GC.AllocateUninitializedArray<byte>(size, pinned: true);

    public void Return(byte[] array) => _free.Add(array);
}
