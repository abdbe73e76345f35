namespace Bulwark.Sources.Files;

/// <summary>A file chosen for a backup: where it is, and the relative path it is stored (and restored) under.</summary>
/// <param name="FullPath">The absolute path on this machine.</param>
/// <param name="StoredPath">Relative to the configuration folder with '/' separators; a file outside that folder
/// keeps its absolute path without the leading '/', as tar does.</param>
public sealed record SelectedFile(string FullPath, string StoredPath);
