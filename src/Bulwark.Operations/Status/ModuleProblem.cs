namespace Bulwark.Operations.Status;

/// <summary>A module whose content changed without a version bump, whose version went backwards, or that has none.</summary>
/// <param name="Source">The source whose modules these are, with 'sources:'; null with the single 'postgres:' form.</param>
public sealed record ModuleProblem(string Path, string Kind, string Description, string? Source = null);
