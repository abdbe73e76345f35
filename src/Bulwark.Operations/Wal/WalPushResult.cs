namespace Bulwark.Operations.Wal;

/// <summary>What 'wal push' did: <paramref name="Stored"/> is false when the same file was already archived.</summary>
public sealed record WalPushResult(string File, bool Stored, long Bytes)
{
    /// <summary>--async: the background pusher had stored this content already (its receipt matched).</summary>
    public bool Ahead { get; init; }
}
