namespace Bulwark.Storage;

/// <summary>An object's name (relative to the backend's root, with '/' separators), size in bytes and last write time.</summary>
public readonly record struct StorageObjectInfo(string Name, long Size, DateTimeOffset LastModified);
