using Bulwark.Storage;
using Bulwark.Storage.Decorators;

namespace Bulwark.Tests.Storage.Decorators;

/// <summary>
/// Looks under decorators, for tests of how StorageSetup composes them. Product code asks a backend's
/// <see cref="IStorageBackend.Capabilities"/> instead.
/// </summary>
internal static class DecoratorChain
{
    /// <summary>The backend of type <typeparamref name="T"/> under any decorators, or null.</summary>
    public static T? Unwrap<T>(this IStorageBackend backend) where T : class, IStorageBackend
    {
        for (var current = backend; ; current = ((IBackendDecorator)current).Inner)
        {
            if (current is T found)
                return found;
            if (current is not IBackendDecorator)
                return null;
        }
    }
}
