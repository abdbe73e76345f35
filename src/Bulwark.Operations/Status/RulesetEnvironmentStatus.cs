namespace Bulwark.Operations.Status;

/// <summary>The version active in one environment, and since when.</summary>
public sealed record RulesetEnvironmentStatus(string Environment, string Version, DateTimeOffset Since);
