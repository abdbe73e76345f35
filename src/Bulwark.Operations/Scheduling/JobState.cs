namespace Bulwark.Operations.Scheduling;

/// <summary>What the state folder remembers of a job (STATE/jobs/KEY/NAME.json): its last run, and since when it is scheduled.</summary>
public sealed record JobState
{
    public required string Job { get; init; }
    /// <summary>The repository location it runs against, without secrets (see <see cref="JobScope"/>).</summary>
    public string? Repository { get; init; }
    /// <summary>The id of the repository its last run opened; null before a run could open it.</summary>
    public string? RepositoryId { get; init; }
    /// <summary>The database (host:port/name) it backs up.</summary>
    public string? Database { get; init; }
    /// <summary>When a daemon first scheduled this job; runs missed before that are not caught up.</summary>
    public DateTimeOffset? WatchedSince { get; init; }
    public DateTimeOffset? LastStart { get; init; }
    public DateTimeOffset? LastEnd { get; init; }
    /// <summary>ok, failed or cancelled.</summary>
    public string? LastOutcome { get; init; }
    /// <summary>schedule, catch-up or manual.</summary>
    public string? LastTrigger { get; init; }
    public string? LastSummary { get; init; }
    public string? LastError { get; init; }
    public string? LastErrorKind { get; init; }
    public DateTimeOffset? LastSuccess { get; init; }
    public int ConsecutiveFailures { get; init; }
}
