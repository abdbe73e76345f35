using Bulwark.Storage;

namespace Bulwark.Operations;

/// <summary>The one place where backends and their decorators are put together.</summary>
public static class StorageSetup
{
    public static BackendRegistry CreateRegistry() => new();
}
