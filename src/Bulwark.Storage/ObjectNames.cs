namespace Bulwark.Storage;

/// <summary>Checks object names against the contract of <see cref="IStorageBackend"/>.</summary>
public static class ObjectNames
{
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name[0] == '/' || name[^1] == '/')
            throw new ArgumentException($"invalid object name '{name}'", nameof(name));
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == "..")
                throw new ArgumentException($"invalid object name '{name}'", nameof(name));
        }
        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/'))
                throw new ArgumentException($"invalid object name '{name}'", nameof(name));
        }
    }
}
