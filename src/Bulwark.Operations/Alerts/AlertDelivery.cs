namespace Bulwark.Operations.Alerts;

/// <summary>What an evaluation sent: one entry per channel that had something to say.</summary>
public sealed record AlertDelivery(IReadOnlyList<AlertSent> Sent)
{
    public static AlertDelivery None { get; } = new([]);
    public bool AllDelivered => Sent.All(s => s.Error is null);
}
