using System.Globalization;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Maintenance;

/// <summary>
/// Applies a <see cref="RetentionPolicy"/> to snapshots. Pure: the same snapshots, proofs, time and policy always give
/// the same plan. Semantics, per group (the snapshots of one database; snapshots ordered newest first by start time):
/// <list type="number">
/// <item>Keep rules choose candidates; each rule looks at all snapshots of the group, independently of the others,
/// and a snapshot chosen by any rule is a candidate (as restic's forget). With no keep rule, every snapshot is a
/// candidate.
///   <list type="bullet">
///   <item>keep-last N: the N newest.</item>
///   <item>keep-daily/weekly/monthly/yearly N: the newest snapshot of each of the N newest calendar buckets that hold
///   a snapshot, in the policy's time zone (days from local midnight to midnight, so 23 or 25 hours around a DST
///   change; ISO weeks starting on Monday; months; years). A bucket without a snapshot is skipped and not counted, so
///   with gaps the rule reaches further back (as restic).</item>
///   <item>keep-within D: every snapshot taken at most D before the group's newest snapshot (not before now: a
///   stopped schedule does not empty the window, as restic).</item>
///   <item>keep-tag T…: every snapshot carrying one of the tags.</item>
///   </list></item>
/// <item>Limits cap the candidates: max-age removes those older than D measured from now (age equal to D is kept);
/// max-count keeps only the N newest candidates.</item>
/// <item>Safety rules keep, whatever the rules and limits say, the group's newest snapshot, the newest snapshot whose
/// most recent verification with --read-data passed, and the newest whose most recent restore drill passed.</item>
/// </list>
/// </summary>
public static class RetentionEvaluator
{
    public const string NewestReason = "newest (safety)";
    public const string NewestVerifiedReason = "newest verified (safety)";
    public const string NewestDrilledReason = "newest drilled (safety)";

    /// <param name="snapshots">Every snapshot of the repository, in any order.</param>
    /// <param name="proofs">Proof records (<see cref="ProofRecord.EventKind"/> events), in any order.</param>
    /// <param name="now">The current time (from the caller's TimeProvider).</param>
    public static RetentionPlan Evaluate(IReadOnlyList<Snapshot> snapshots, IReadOnlyList<ProofRecord> proofs,
        DateTimeOffset now, RetentionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(snapshots);
        ArgumentNullException.ThrowIfNull(proofs);
        ArgumentNullException.ThrowIfNull(policy);
        var verified = ProvenSnapshots(proofs, ProofRecord.Verify);
        var drilled = ProvenSnapshots(proofs, ProofRecord.Drill);
        var decisions = new List<SnapshotDecision>(snapshots.Count);
        foreach (var group in snapshots.GroupBy(GroupOf, StringComparer.Ordinal))
        {
            var newestFirst = group.OrderByDescending(s => s.Manifest.Time).ThenByDescending(s => s.Id).ToList();
            decisions.AddRange(EvaluateGroup(group.Key, newestFirst, now, policy, verified, drilled));
        }
        return new RetentionPlan(decisions.OrderBy(d => d.Snapshot.Manifest.Time).ThenBy(d => d.Snapshot.Id).ToList());
    }

    /// <summary>
    /// The group of a snapshot: its source's name when it records one (a named source ages together), else its
    /// database, else its source kind (snapshots of one database age together).
    /// </summary>
    public static string GroupOf(Snapshot snapshot) =>
        snapshot.Manifest.Source.Name is { Length: > 0 } name ? name
        : snapshot.Manifest.Source.Database is { Length: > 0 } database
            ? database
            : $"({snapshot.Manifest.Source.Kind})";

    private static IEnumerable<SnapshotDecision> EvaluateGroup(string group, List<Snapshot> newestFirst,
        DateTimeOffset now, RetentionPolicy policy, HashSet<string> verified, HashSet<string> drilled)
    {
        var reasons = newestFirst.Select(_ => new List<string>()).ToArray();
        if (!policy.HasKeepRules)
        {
            foreach (var list in reasons)
                list.Add("no keep rule: kept within the limits");
        }
        for (var i = 0; i < Math.Min(policy.KeepLast, newestFirst.Count); i++)
            reasons[i].Add("last");
        Buckets(newestFirst, reasons, policy.KeepDaily, policy.TimeZone, "daily",
            t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Buckets(newestFirst, reasons, policy.KeepWeekly, policy.TimeZone, "weekly",
            t => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(t)}-W{ISOWeek.GetWeekOfYear(t):00}"));
        Buckets(newestFirst, reasons, policy.KeepMonthly, policy.TimeZone, "monthly",
            t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        Buckets(newestFirst, reasons, policy.KeepYearly, policy.TimeZone, "yearly",
            t => t.ToString("yyyy", CultureInfo.InvariantCulture));
        if (policy.KeepWithin is { } within && newestFirst.Count > 0)
        {
            var from = newestFirst[0].Manifest.Time - within;
            for (var i = 0; i < newestFirst.Count; i++)
            {
                if (newestFirst[i].Manifest.Time >= from)
                    reasons[i].Add($"within {RetentionPolicy.FormatDuration(within)}");
            }
        }
        if (policy.KeepTags.Count > 0)
        {
            for (var i = 0; i < newestFirst.Count; i++)
            {
                foreach (var tag in newestFirst[i].Manifest.Tags.Where(t => policy.KeepTags.Contains(t, StringComparer.Ordinal)))
                    reasons[i].Add($"tag {tag}");
            }
        }

        // Limits: the candidates' reasons stay as a note on why a chosen snapshot still goes.
        var keep = new bool[newestFirst.Count];
        var limited = new string?[newestFirst.Count];
        var counted = 0;
        for (var i = 0; i < newestFirst.Count; i++)
        {
            if (reasons[i].Count == 0)
                continue;
            if (policy.MaxAge is { } maxAge && now - newestFirst[i].Manifest.Time > maxAge)
                limited[i] = $"older than max-age {RetentionPolicy.FormatDuration(maxAge)}";
            else if (policy.MaxCount is { } maxCount && counted >= maxCount)
                limited[i] = $"beyond max-count {maxCount}";
            else
            {
                keep[i] = true;
                counted++;
            }
        }
        var keptByRules = (bool[])keep.Clone();

        // Safety: whatever the policy says.
        var safety = newestFirst.Select(_ => new List<string>()).ToArray();
        if (newestFirst.Count > 0)
            safety[0].Add(NewestReason);
        var newestVerified = newestFirst.FindIndex(s => verified.Contains(s.Id.ToString()));
        if (newestVerified >= 0)
            safety[newestVerified].Add(NewestVerifiedReason);
        var newestDrilled = newestFirst.FindIndex(s => drilled.Contains(s.Id.ToString()));
        if (newestDrilled >= 0)
            safety[newestDrilled].Add(NewestDrilledReason);

        for (var i = 0; i < newestFirst.Count; i++)
        {
            List<string> why;
            if (keep[i])
                why = [.. reasons[i], .. safety[i]];
            else if (safety[i].Count > 0)
                why = [.. safety[i], .. limited[i] is null ? [] : new[] { $"kept although {limited[i]}" }];
            else if (limited[i] is not null)
                why = [limited[i]!, .. reasons[i].Select(r => $"(chosen by {r})")];
            else
                why = ["no keep rule matches"];
            yield return new SnapshotDecision(newestFirst[i], group, keep[i] || safety[i].Count > 0, keptByRules[i], why);
        }
    }

    private static void Buckets(List<Snapshot> newestFirst, List<string>[] reasons, int count, TimeZoneInfo zone,
        string rule, Func<DateTime, string> bucketOf)
    {
        if (count <= 0)
            return;
        string? previous = null;
        var taken = 0;
        for (var i = 0; i < newestFirst.Count && taken < count; i++)
        {
            var local = TimeZoneInfo.ConvertTime(newestFirst[i].Manifest.Time, zone).DateTime;
            var bucket = bucketOf(local);
            if (bucket == previous)
                continue;
            // The newest snapshot of a bucket comes first when walking newest first: it is the one kept.
            previous = bucket;
            reasons[i].Add($"{rule} {bucket}");
            taken++;
        }
    }

    /// <summary>Full ids of snapshots whose most recent proof of <paramref name="kind"/> passed.</summary>
    private static HashSet<string> ProvenSnapshots(IReadOnlyList<ProofRecord> proofs, string kind) =>
        proofs.Where(p => p.Kind == kind)
            .GroupBy(p => p.Snapshot, StringComparer.OrdinalIgnoreCase)
            .Where(g => g.MaxBy(p => p.Time)!.Passed)
            .Select(g => g.Key.ToLowerInvariant())
            .ToHashSet(StringComparer.Ordinal);
}
