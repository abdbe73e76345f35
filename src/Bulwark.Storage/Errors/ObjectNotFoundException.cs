namespace Bulwark.Storage;

/// <summary>The named object does not exist. Never transient: a retry will not make it appear.</summary>
public sealed class ObjectNotFoundException : StorageException
{
    public ObjectNotFoundException(string location, string name)
        : base($"object '{name}' not found in {location}", transient: false, kind: ErrorKind.Integrity)
    {
        Name = name;
    }

    public string Name { get; }
}
