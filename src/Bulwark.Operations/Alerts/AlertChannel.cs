namespace Bulwark.Operations.Alerts;

/// <summary>A place alerts go: a webhook or a command. Each keeps its own memory of what it was told.</summary>
internal abstract class AlertChannel
{
    /// <summary>Stable while its configuration is unchanged; keys the channel's state.</summary>
    public abstract string Id { get; }

    /// <summary>How the channel is shown in messages (never its URL: that holds its secret).</summary>
    public abstract string Name { get; }

    public virtual bool SendsProblems => true;
    public virtual bool SendsRecoveries => true;

    public abstract Task SendAsync(Alert alert, CancellationToken cancellationToken);

    protected static string Hash(string text) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
}
