namespace Bulwark.Operations.Wal;

/// <summary>
/// The times a point-in-time recovery can reach: from the end (stop time) of the oldest base backup whose WAL is
/// unbroken up to the newest archived segment, to about when that segment was archived.
/// </summary>
public sealed record PitrWindow(DateTimeOffset Earliest, DateTimeOffset Latest, string BaseBackup, string NewestSegment);
