namespace Bulwark.Repository.Streams;

/// <summary>Counters of a <see cref="StreamUploader"/>, safe to read while it runs.</summary>
public sealed class UploadStatistics
{
    private long _newBytes;
    private long _reusedBytes;
    private long _storedBytes;
    private int _newChunks;
    private int _reusedChunks;

    public long NewBytes => Interlocked.Read(ref _newBytes);
    public long ReusedBytes => Interlocked.Read(ref _reusedBytes);
    public long StoredBytes => Interlocked.Read(ref _storedBytes);
    public int NewChunks => Volatile.Read(ref _newChunks);
    public int ReusedChunks => Volatile.Read(ref _reusedChunks);

    internal void AddNew(int plain, int stored)
    {
        Interlocked.Add(ref _newBytes, plain);
        Interlocked.Add(ref _storedBytes, stored);
        Interlocked.Increment(ref _newChunks);
    }

    internal void AddReused(int plain)
    {
        Interlocked.Add(ref _reusedBytes, plain);
        Interlocked.Increment(ref _reusedChunks);
    }
}
