namespace Bulwark.Operations.Scheduling;

/// <summary>A scheduled job as the daemon sees it: its next run, whether it runs now, and its last run.</summary>
public sealed record JobStatus(string Job, string Expression, DateTimeOffset? Next, DateTimeOffset? RunningSince, JobState? Last);
