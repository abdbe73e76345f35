namespace Bulwark.Storage;

/// <summary>A backend operation failed. <see cref="IsTransient"/> says whether a retry may help.</summary>
public class StorageException : BulwarkException
{
    private readonly bool _transient;

    public StorageException(string message, bool transient, string? advice = null, Exception? inner = null,
        ErrorKind kind = ErrorKind.StorageUnavailable)
        : base(kind, message, advice, inner)
    {
        _transient = transient;
    }

    public override bool IsTransient => _transient;
}
