using Bulwark.Operations.Health;

namespace Bulwark.Operations.Scheduling;

/// <summary>One run of a job.</summary>
public sealed record JobRunResult
{
    public required string Job { get; init; }
    public required JobOutcome Outcome { get; init; }
    /// <summary>schedule, catch-up or manual.</summary>
    public required string Trigger { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    /// <summary>One line on what it did ("snapshot 3f2a… 1.2 GiB") or why it was skipped.</summary>
    public string? Summary { get; init; }
    public BulwarkException? Error { get; init; }
    /// <summary>The report of a check job.</summary>
    public HealthReport? Health { get; init; }

    public TimeSpan Duration => End - Start;
}
