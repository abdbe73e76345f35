namespace Bulwark.Operations.Wal;

/// <summary>What 'wal push' did: <paramref name="Stored"/> is false when the same file was already archived.</summary>
public sealed record WalPushResult(string File, bool Stored, long Bytes);
