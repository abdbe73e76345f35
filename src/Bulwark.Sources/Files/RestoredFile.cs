namespace Bulwark.Sources.Files;

/// <summary>A file written by a restore; its SHA-256 was checked against the manifest before it got its name.</summary>
public sealed record RestoredFile(string StoredPath, string Path, long Size, string Sha256);
