namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>What <see cref="FingerprintComparison"/> found.</summary>
/// <param name="Differences">Every way the restored database differs from its backup; none when it is faithful.</param>
/// <param name="ColumnOrderChanged">
/// Tables ("schema.name") whose columns are the same as in the backup but in another order, which a dump and restore
/// does to some tables (a child table's inherited columns follow its parent's order after a restore): not a
/// difference, since definitions are compared without column order and rows by column name.
/// </param>
public sealed record FingerprintComparisonResult(IReadOnlyList<FingerprintDifference> Differences, IReadOnlyList<string> ColumnOrderChanged);
