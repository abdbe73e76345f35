using Bulwark.Operations.Logging;
using Bulwark.Operations.Wal;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'wal-push': 'wal push' failures in the operations log since the newest segment was archived (PostgreSQL retries a
/// failed segment and archives nothing after it, so failures after the newest segment mean archiving is stuck).
/// CRITICAL for a conflict or damage, WARNING otherwise. Absent while there is neither WAL nor a failed push.
/// </summary>
internal sealed class WalPushCheck : IHealthCheck
{
    public string Name => HealthCheckNames.WalPush;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        var failures = context.Bulwark.Log.Read()
            .Where(r => r.Operation == WalPushOperation.LogName && r.Outcome == OperationLog.Failed &&
                        OperationsCheck.IsOf(r, context.RepositoryDisplay, context.RepositoryId))
            .ToList();
        var wal = await context.WalAsync(cancellationToken).ConfigureAwait(false);
        if (failures.Count == 0 && wal is not { IsEmpty: false })
            return null;
        var since = wal?.NewestSegment?.Archived;
        var recent = failures.Where(r => since is null || r.End > since).ToList();
        var metrics = new[] { new HealthMetric("wal_push_failures", recent.Count, Warning: 0, Min: 0) };
        if (recent.Count == 0)
            return new HealthFinding
            {
                Check = Name, Status = HealthStatus.Ok, Summary = "no failed WAL push since the newest segment was archived", Metrics = metrics,
            };
        var last = recent[^1];
        var severe = recent.Any(r => r.ErrorKind is nameof(ErrorKind.WalConflict) or nameof(ErrorKind.Integrity));
        return new HealthFinding
        {
            Check = Name,
            Status = severe ? HealthStatus.Critical : HealthStatus.Warning,
            Summary = $"wal push failed {(recent.Count == 1 ? "once" : $"{recent.Count} times")} since the newest segment was archived, last {HealthText.Age(context.Now - last.End)} ago: {last.Error ?? "no error recorded"}",
            Advice = "'bulwark log --errors' shows each failure; PostgreSQL retries the segment until a push succeeds, and its pg_wal grows meanwhile",
            Metrics = metrics,
        };
    }
}
