using Bulwark.Operations.Catalog;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'drill': the newest restore drill, once drills exist: whether it passed, and its age against
/// 'check.drill-age-warning'. With 'sources:', each source's newest drill of its own snapshots, so that a passed drill
/// of one database does not hide a failed or missing one of another.
/// </summary>
internal sealed class DrillCheck : IHealthCheck
{
    public string Name => HealthCheckNames.Drill;

    public async Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        if (context.Catalog is not { } catalog)
            return null;
        var drills = (await catalog.ProofsAsync(cancellationToken).ConfigureAwait(false)).Where(p => p.Kind == ProofRecord.Drill).ToList();
        var bulwark = context.Bulwark;
        if (bulwark.Settings.Sources.Count == 0)
            return drills.MaxBy(p => p.Time) is { } last ? Single(Judge(null, last, context), context) : null;
        // A drill belongs to the source of its snapshot; one of a snapshot no longer listed cannot be placed.
        if (context.Snapshots is not { } summaries)
            return null;
        var sourceOf = summaries.ToDictionary(s => s.Id, s => s.SourceName, StringComparer.Ordinal);
        var newest = drills.Where(d => sourceOf.ContainsKey(d.Snapshot))
            .GroupBy(d => sourceOf[d.Snapshot], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.MaxBy(d => d.Time)!, StringComparer.Ordinal);
        if (newest.Count == 0)
            return null;
        var selected = bulwark.Source is { } only ? [only.Name] : bulwark.Sources.Select(s => s.Name).ToList();
        var names = selected.Concat(newest.Keys.Where(k => !selected.Contains(k)).Order(StringComparer.Ordinal)).ToList();
        var verdicts = names.Where(newest.ContainsKey).Select(n => Judge(n, newest[n], context)).ToList();
        var status = HealthStatuses.Worst(verdicts.Select(v => v.Status));
        var problems = verdicts.Where(v => v.Status != HealthStatus.Ok).ToList();
        var summary = status == HealthStatus.Ok
            ? string.Join("; ", names.Select(n => newest.ContainsKey(n) ? verdicts.First(v => v.Source == n).Summary : $"{n}: no restore drill yet"))
            : string.Join("; ", problems.Select(v => v.Summary));
        // The figures of the source nearest to a problem stand for the whole: the oldest newest drill, a failed one first.
        var headline = verdicts.OrderBy(v => v.Passed ? 1 : 0).ThenByDescending(v => v.Age).First();
        return new HealthFinding
        {
            Check = Name,
            Status = status,
            Summary = summary,
            Advice = problems.Count == 0 ? null : string.Join("; ", problems.Select(v => v.Advice).Distinct(StringComparer.Ordinal)),
            Metrics = [.. Metrics(headline, context, null), .. verdicts.SelectMany(v => Metrics(v, context, v.Source))],
        };
    }

    private sealed record Verdict(string? Source, HealthStatus Status, string Summary, string? Advice, TimeSpan Age, bool Passed);

    private HealthFinding Single(Verdict verdict, HealthCheckContext context) => new()
    {
        Check = Name, Status = verdict.Status, Summary = verdict.Summary, Advice = verdict.Advice, Metrics = Metrics(verdict, context, null),
    };

    private static HealthMetric[] Metrics(Verdict verdict, HealthCheckContext context, string? source) =>
    [
        new("drill_age", Math.Round(verdict.Age.TotalSeconds), "s", context.Settings.DrillAgeWarningValue?.TotalSeconds, Min: 0, Source: source),
        new("drill_passed", verdict.Passed ? 1 : 0, Min: 0, Max: 1, Source: source),
    ];

    /// <summary>One source's newest drill (or the repository's, <paramref name="source"/> null): failed, too old, or fine.</summary>
    private static Verdict Judge(string? source, ProofRecord last, HealthCheckContext context)
    {
        var age = context.Now - last.Time;
        var warning = context.Settings.DrillAgeWarningValue;
        var shortId = last.Snapshot.Length > 8 ? last.Snapshot[..8] : last.Snapshot;
        var of = source is null ? "" : $" of {source}";
        var option = source is null ? "" : $" --source {source}";
        if (!last.Passed)
            return new Verdict(source, HealthStatus.Critical,
                $"the last restore drill{of} ({HealthText.Age(age)} ago, snapshot {shortId}) failed: {last.Summary ?? "no details"}",
                $"run 'bulwark test-restore {shortId}{option}' to see the differences; until a drill passes, do not rely on this snapshot",
                age, false);
        if (warning is { } w && age > w)
            return new Verdict(source, HealthStatus.Warning,
                $"the last restore drill{of} ran {HealthText.Age(age)} ago (warning above {HealthText.Age(w)}); it passed on snapshot {shortId}",
                $"run 'bulwark test-restore{option}', and schedule it ('schedule.drill' in bulwark.yml)", age, true);
        return new Verdict(source, HealthStatus.Ok, $"last restore drill{of} {HealthText.Age(age)} ago passed (snapshot {shortId})", null, age, true);
    }
}
