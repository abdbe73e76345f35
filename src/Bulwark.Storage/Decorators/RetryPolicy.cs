namespace Bulwark.Storage.Decorators;

/// <summary>
/// How often and how patiently a transient storage failure is retried: exponential backoff from
/// <see cref="BaseDelay"/>, with jitter, capped at <see cref="MaxDelay"/>. Permanent failures are never retried.
/// </summary>
public sealed record RetryPolicy
{
    public static RetryPolicy Default { get; } = new();

    /// <summary>Attempts after the first; 0 turns retrying off.</summary>
    public int MaxRetries { get; init; } = 5;

    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);
}
