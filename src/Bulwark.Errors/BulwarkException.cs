namespace Bulwark;

/// <summary>
/// An expected failure: its message says what failed and on which object, <see cref="Advice"/> what to do.
/// Hosts print both on one line, never a stack trace.
/// </summary>
public class BulwarkException : Exception
{
    public BulwarkException(ErrorKind kind, string message, string? advice = null, Exception? inner = null)
        : base(message, inner)
    {
        Kind = kind;
        Advice = advice;
    }

    public ErrorKind Kind { get; }

    /// <summary>What the user can do about it, or null.</summary>
    public string? Advice { get; }

    /// <summary>True when trying again later may succeed (a network timeout, a throttled request).</summary>
    public virtual bool IsTransient => false;
}
