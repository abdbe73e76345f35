using Bulwark.Operations.Logging;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'operations': failures in the operations log of the operations that schedules run, since each one's last
/// success, of this repository only.
/// </summary>
internal sealed class OperationsCheck : IHealthCheck
{
    /// <summary>Operations whose failures since their last success are reported (the ones schedules run).</summary>
    public static IReadOnlyList<string> WatchedOperations { get; } = ["backup", "cleanup", "verify", "test-restore", "copy"];

    public string Name => HealthCheckNames.Operations;

    public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult<HealthFinding?>(Find(context.Bulwark.Log, context.RepositoryDisplay, context.RepositoryId, context.Now,
            context.Bulwark.Source is { Named: true } source ? source.Name : null));

    /// <summary>The source an operation acted on ('sources:'); null for the whole repository or the single form.</summary>
    private static string? SourceOf(OperationRecord record) => record.Details?.GetValueOrDefault("source");

    /// <param name="only">Check one source: its operations and those of the whole repository.</param>
    private HealthFinding Find(OperationLog log, string? repositoryDisplay, string? repositoryId, DateTimeOffset now, string? only)
    {
        var records = log.Read().Where(r => IsOf(r, repositoryDisplay, repositoryId))
            .Where(r => only is null || SourceOf(r) is null || SourceOf(r) == only).ToList();
        var failing = new List<(string Operation, List<OperationRecord> Failures, OperationRecord? LastOk)>();
        foreach (var operation in WatchedOperations)
        {
            // Per source: one source's success does not clear another's failures.
            foreach (var group in records.Where(r => r.Operation == operation).GroupBy(SourceOf))
            {
                var runs = group.OrderBy(r => r.Start).ToList();
                var lastOk = runs.FindLastIndex(r => r.Succeeded);
                var failures = runs.Skip(lastOk + 1).Where(r => r.Outcome == OperationLog.Failed).ToList();
                if (failures.Count > 0)
                    failing.Add((group.Key is null ? operation : $"{operation} of {group.Key}", failures, lastOk >= 0 ? runs[lastOk] : null));
            }
        }
        var total = failing.Sum(f => f.Failures.Count);
        var metrics = new HealthMetric[] { new("failed_operations", total, Warning: 0, Min: 0) };
        if (failing.Count == 0)
            return new HealthFinding
            {
                Check = Name,
                Status = HealthStatus.Ok,
                Summary = records.Count == 0 ? "the operations log is empty" : "no failure since the last success of each operation",
                Metrics = metrics,
            };
        var integrity = failing.Any(f => f.Failures.Any(r => r.ErrorKind == nameof(ErrorKind.Integrity)));
        return new HealthFinding
        {
            Check = Name,
            Status = integrity ? HealthStatus.Critical : HealthStatus.Warning,
            Summary = string.Join("; ", failing.Select(f =>
            {
                var last = f.Failures[^1];
                var since = f.LastOk is null ? "never succeeded" : $"last success {HealthText.Age(now - f.LastOk.End)} ago";
                return $"{f.Operation} failed {(f.Failures.Count == 1 ? "once" : $"{f.Failures.Count} times")} ({since}), last {HealthText.Age(now - last.End)} ago: {last.Error ?? "no error recorded"}";
            })),
            Advice = "'bulwark log --errors' shows each failure; fix the cause and run the operation again (a success clears this)",
            Metrics = metrics,
        };
    }

    /// <summary>
    /// Whether a log record belongs to the repository being checked (the state folder, and so the log, may be shared
    /// by several repositories). A record that names the repository it opened belongs to it wherever it was reached
    /// from, and not to another repository later made at the same location. A record without an id (it failed before
    /// the repository could be opened, or a version before ids wrote it), or a check that could not open the
    /// repository, falls back to the location: the same configured location (both none included) is the same
    /// repository. So a failure against an unreachable location, or with no repository at all, is no other's problem.
    /// </summary>
    internal static bool IsOf(OperationRecord record, string? repositoryDisplay, string? repositoryId) =>
        record.RepositoryId is { } id && repositoryId is not null
            ? id == repositoryId
            : record.Repository == (repositoryDisplay is null ? null : SecretRedactor.Redact(repositoryDisplay));
}
