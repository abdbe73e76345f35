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
