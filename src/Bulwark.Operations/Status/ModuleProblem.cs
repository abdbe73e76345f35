namespace Bulwark.Operations.Status;

/// <summary>A module whose content changed without a version bump, whose version went backwards, or that has none.</summary>
public sealed record ModuleProblem(string Path, string Kind, string Description);
