namespace Bulwark.Operations.Status;

/// <summary>
/// The span a point-in-time recovery can reach: from the oldest kept base backup to the newest archived WAL. Null in
/// the status until a WAL archive exists.
/// </summary>
public sealed record PitrWindow(DateTimeOffset From, DateTimeOffset To);
