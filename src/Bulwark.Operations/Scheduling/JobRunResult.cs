using Bulwark.Operations.Health;

namespace Bulwark.Operations.Scheduling;

/// <summary>How a run of a job ended.</summary>
public enum JobOutcome
{
    Ok,
    Failed,
    Cancelled,
    /// <summary>Not run: another run of the same job holds its lock.</summary>
    Skipped,
}

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

/// <summary>What a job's body reports.</summary>
public sealed record JobBodyResult(string Summary, HealthReport? Health = null);
