namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>What <see cref="FingerprintComparison"/> compares besides data.</summary>
/// <param name="Definitions">Object definitions (only meaningful when both sides were read by the same pg_dump major version).</param>
/// <param name="Owners">Object owners (not when restored with --no-owner).</param>
/// <param name="Privileges">Privileges (not when restored with --no-acl).</param>
public sealed record ComparisonOptions(bool Definitions = true, bool Owners = true, bool Privileges = true);
