using Bulwark.Operations.Configuration;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'disk': free space where the repository (a local folder) and the state folder live, against
/// 'check.disk-free-warning' and '-critical' (a percentage or a size).
/// </summary>
internal sealed class DiskCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Disk;

    public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult<HealthFinding?>(Find(context.Settings, context.Bulwark.Config.StateDirectory, context.LocalRepository));

    private HealthFinding Find(CheckConfig settings, string stateDirectory, string? localRepository)
    {
        var warning = settings.DiskFreeWarningValue;
        var critical = settings.DiskFreeCriticalValue;
        var places = new List<(string Label, string Path)>();
        if (localRepository is not null)
            places.Add(("repository", localRepository));
        places.Add(("state", stateDirectory));
        var metrics = new List<HealthMetric>();
        var texts = new List<string>();
        var problems = new List<(HealthStatus Status, string Text)>();
        foreach (var (label, path) in places)
        {
            var existing = path;
            while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
                existing = parent;
            var drive = new DriveInfo(existing);
            var free = drive.AvailableFreeSpace;
            var total = drive.TotalSize;
            metrics.Add(new HealthMetric($"disk_free_{label}", free, "B", warning?.InBytes(total), critical?.InBytes(total), 0, total, Below: true));
            var percent = total > 0 ? free * 100.0 / total : 0;
            var text = $"{label} {HealthText.Bytes(free)} free ({HealthText.Percent(percent)})";
            if (critical is not null && critical.IsBelow(free, total))
                problems.Add((HealthStatus.Critical, $"{text} at {path}, critical below {critical}"));
            else if (warning is not null && warning.IsBelow(free, total))
                problems.Add((HealthStatus.Warning, $"{text} at {path}, warning below {warning}"));
            else
                texts.Add(text);
        }
        if (problems.Count == 0)
            return new HealthFinding { Check = Name, Status = HealthStatus.Ok, Summary = string.Join(", ", texts), Metrics = metrics };
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatuses.Worst(problems.Select(p => p.Status)),
            Summary = string.Join("; ", problems.Select(p => p.Text)),
            Advice = "free space there ('bulwark cleanup' applies the retention policy; 'bulwark cleanup --dry-run' shows what it removes), or move the repository",
            Metrics = metrics,
        };
    }
}
