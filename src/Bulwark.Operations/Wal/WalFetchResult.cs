namespace Bulwark.Operations.Wal;

/// <summary>What 'wal fetch' did (for --json).</summary>
public sealed record WalFetchResult(string File, bool Found);
