namespace Bulwark.Operations.Alerts;

/// <summary>One alert to one channel; <see cref="Error"/> when it could not be delivered (it is tried again next time).</summary>
public sealed record AlertSent(string Channel, Alert Alert, string? Error);
