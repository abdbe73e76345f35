namespace Bulwark.Repository.Chunking;

/// <summary>
/// FastCDC sizes, fixed per repository at init (changing them would stop deduplication against older snapshots).
/// <see cref="Seed"/> picks the gear table: 0 in a plain repository, random in an encrypted one so that chunk
/// boundaries do not reveal content.
/// </summary>
public sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize, ulong Seed)
{
    public static ChunkerParameters Default { get; } = new(64 * 1024, 256 * 1024, 1024 * 1024, 0);

    public void Validate()
    {
        if (MinSize < 64 || MinSize >= AverageSize || AverageSize >= MaxSize || MaxSize > 64 * 1024 * 1024)
            throw new ArgumentException($"chunker sizes must satisfy 64 <= min < average < max <= 64 MiB (got {MinSize}/{AverageSize}/{MaxSize})");
        if (!int.IsPow2(AverageSize))
            throw new ArgumentException($"the average chunk size must be a power of two (got {AverageSize})");
    }
}
