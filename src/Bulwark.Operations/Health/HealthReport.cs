namespace Bulwark.Operations.Health;

/// <summary>The outcome of 'bulwark check': every finding and the worst status.</summary>
public sealed record HealthReport
{
    public required DateTimeOffset Time { get; init; }
    public required TimeSpan Duration { get; init; }
    /// <summary>The repository, without secrets (null when none is configured).</summary>
    public string? Repository { get; init; }
    public required IReadOnlyList<HealthFinding> Findings { get; init; }

    public HealthStatus Status => HealthStatuses.Worst(Findings.Select(f => f.Status));

    /// <summary>The exit code of 'bulwark check'.</summary>
    public int ExitCode => (int)Status;

    public IEnumerable<HealthFinding> Problems => Findings.Where(f => f.Status != HealthStatus.Ok);

    public HealthFinding? Find(string check) => Findings.FirstOrDefault(f => f.Check == check);

    /// <summary>
    /// One line for monitoring systems: "BULWARK WARNING - problem; problem | perfdata". Only the first line of
    /// plugin output is read by most of them, so everything is on it.
    /// </summary>
    public string ToNagios()
    {
        var problems = Problems.OrderByDescending(f => f.Status.Severity()).ToList();
        var text = problems.Count == 0
            ? $"{Findings.Count} checks ok" + (Find(HealthCheckNames.BackupAge) is { } age ? $"; {age.Summary}" : "")
            : string.Join("; ", problems.Select(p => $"{p.Check}: {p.Summary}"));
        var perf = string.Join(" ", Findings.SelectMany(f => f.Metrics).Select(m => m.ToPerfData())
            .Append(new HealthMetric("time", Math.Round(Duration.TotalSeconds, 3), "s", Min: 0).ToPerfData()));
        // '|' separates perfdata; keep it out of the text.
        return $"BULWARK {Status.Label()} - {text.Replace('|', '/').Replace('\n', ' ')} | {perf}";
    }
}
