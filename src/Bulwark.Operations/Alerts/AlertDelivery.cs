namespace Bulwark.Operations.Alerts;

/// <summary>What an evaluation sent: one entry per channel that had something to say.</summary>
public sealed record AlertDelivery(IReadOnlyList<AlertSent> Sent)
{
    public static AlertDelivery None { get; } = new([]);
    public bool AllDelivered => Sent.All(s => s.Error is null);
}

/// <summary>One alert to one channel; <see cref="Error"/> when it could not be delivered (it is tried again next time).</summary>
public sealed record AlertSent(string Channel, Alert Alert, string? Error);
