using System.Globalization;
using System.Text;

namespace Bulwark.Crash;

/// <summary>How a trial's run ended.</summary>
public enum TrialOutcome
{
    /// <summary>Killed before its effect was visible (no snapshot, file or copy yet).</summary>
    KilledBeforeCommit,

    /// <summary>Killed after its effect was visible but before the process ended by itself.</summary>
    KilledAfterCommit,

    /// <summary>Ended by itself before the kill came (or was the run that measured the duration).</summary>
    Completed,
}

/// <summary>One broken invariant: enough to reproduce it (seed, operation, backend, trial) and to see what broke.</summary>
public sealed record CrashFailure(int Seed, string Operation, BackendKind Backend, int Trial, string Kill, string Invariant, string Detail)
{
    public override string ToString() =>
        $"seed {Seed} {Operation}/{Backend.ToString().ToLowerInvariant()} trial {Trial} ({Kill}): {Invariant}: {Detail}";
}

/// <summary>The trials of one operation against one backend.</summary>
public sealed class CrashRow(string operation, BackendKind backend)
{
    public string Operation { get; } = operation;
    public BackendKind Backend { get; } = backend;
    public int Trials { get; set; }
    public int KilledBeforeCommit { get; set; }
    public int KilledAfterCommit { get; set; }
    public int Completed { get; set; }
    public int Held { get; set; }
    public int Broken { get; set; }

    /// <summary>The duration the kill delays were drawn from (the measured run).</summary>
    public TimeSpan Typical { get; set; }

    public void Add(TrialOutcome outcome, bool held)
    {
        Trials++;
        switch (outcome)
        {
            case TrialOutcome.KilledBeforeCommit: KilledBeforeCommit++; break;
            case TrialOutcome.KilledAfterCommit: KilledAfterCommit++; break;
            default: Completed++; break;
        }
        if (held)
            Held++;
        else
            Broken++;
    }
}

/// <summary>The result of a crash run: a row per operation and backend, and every broken invariant.</summary>
public sealed class CrashReport
{
    public required int Seed { get; init; }
    public List<CrashRow> Rows { get; } = [];
    public List<CrashFailure> Failures { get; } = [];
    public TimeSpan Elapsed { get; set; }

    public bool Ok => Failures.Count == 0 && Rows.All(r => r.Broken == 0);

    public int Trials => Rows.Sum(r => r.Trials);

    /// <summary>A markdown table: operation × backend, trials, outcomes, invariants held and broken.</summary>
    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine("| operation | backend | trials | killed before commit | killed after commit | completed | invariants held | broken | kill window |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in Rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Operation} | {row.Backend.ToString().ToLowerInvariant()} | {row.Trials} | {row.KilledBeforeCommit} | {row.KilledAfterCommit} | {row.Completed} | {row.Held} | {row.Broken} | 0–{row.Typical.TotalSeconds:0.00} s |");
        }
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| **total** | | {Trials} | {Rows.Sum(r => r.KilledBeforeCommit)} | {Rows.Sum(r => r.KilledAfterCommit)} | {Rows.Sum(r => r.Completed)} | {Rows.Sum(r => r.Held)} | {Rows.Sum(r => r.Broken)} | |");
        return text.ToString();
    }
}
