namespace Bulwark.Operations.Logging;

/// <summary>One line of the operations log: what ran, when, how it ended.</summary>
public sealed record OperationRecord
{
    public required string Id { get; init; }
    public required string Operation { get; init; }
    public required DateTimeOffset Start { get; init; }
    public required DateTimeOffset End { get; init; }
    /// <summary>"ok", "failed" or "cancelled".</summary>
    public required string Outcome { get; init; }
    public required long DurationMs { get; init; }
    public long Bytes { get; init; }
    /// <summary>The location it ran against, without secrets; null when none was configured.</summary>
    public string? Repository { get; init; }
    /// <summary>The id of the repository it opened; null when it failed before (and in records of older versions).</summary>
    public string? RepositoryId { get; init; }
    public string? Snapshot { get; init; }
    public string? Error { get; init; }
    public string? ErrorKind { get; init; }
    public string? Host { get; init; }
    /// <summary>Facts particular to the operation (new bytes, problems found, …).</summary>
    public IReadOnlyDictionary<string, string>? Details { get; init; }

    public bool Succeeded => Outcome == OperationLog.Ok;
}
