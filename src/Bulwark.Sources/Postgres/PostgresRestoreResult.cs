namespace Bulwark.Sources.Postgres;

/// <summary>What a restore did.</summary>
public sealed record PostgresRestoreResult(string Database, bool Created, long Bytes, TimeSpan Duration, int GlobalsErrors);
