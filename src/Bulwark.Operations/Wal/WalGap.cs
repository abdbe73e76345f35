namespace Bulwark.Operations.Wal;

/// <summary>Segments missing from the archive, <paramref name="First"/> to <paramref name="Last"/> (names), <paramref name="Count"/> of them.</summary>
public sealed record WalGap(string First, string Last, long Count)
{
    public override string ToString() => Count == 1 ? First : $"{First}…{Last} ({Count} segments)";
}
