using Bulwark.Operations.Health;

namespace Bulwark.Operations.Scheduling;

/// <summary>What a job's body reports.</summary>
public sealed record JobBodyResult(string Summary, HealthReport? Health = null);
