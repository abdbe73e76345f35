namespace Bulwark.Repository.Streams;

/// <summary>
/// Sees every byte of a stream as it is stored, in order, on a task of its own (so that it does not slow chunking).
/// Used to compute facts from data in passing, e.g. per-table fingerprints of a dump.
/// </summary>
public interface IStreamObserver
{
    void Observe(ReadOnlySpan<byte> data);

    /// <summary>Called once after the last byte.</summary>
    void Complete();
}
