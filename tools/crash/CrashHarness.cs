using System.Diagnostics;
using Bulwark.Crash.Scenarios;

namespace Bulwark.Crash;

/// <summary>
/// Kills the real bulwark program (kill -9) at random moments during backup, cleanup, copy, ruleset activate and
/// restore --files-to, and kills pg_dump under a backup, against a local folder and an S3 server; after each trial
/// it checks that earlier snapshots still verify, that no half-written file is visible, that the next run of the
/// same command succeeds, and that a cleanup then leaves nothing behind.
/// </summary>
public static class CrashHarness
{
    public const string Backup = "backup";
    public const string PgDump = "backup, pg_dump killed";
    public const string Cleanup = "cleanup";
    public const string Copy = "copy";
    public const string RulesetActivate = "ruleset activate";
    public const string RestoreFiles = "restore --files-to";

    public static readonly IReadOnlyList<string> Operations = [Backup, PgDump, Cleanup, Copy, RulesetActivate, RestoreFiles];

    /// <summary>Short names for the command line (--op).</summary>
    public static readonly IReadOnlyDictionary<string, string> ShortNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["backup"] = Backup,
        ["pg_dump"] = PgDump,
        ["cleanup"] = Cleanup,
        ["copy"] = Copy,
        ["ruleset"] = RulesetActivate,
        ["restore"] = RestoreFiles,
    };

    public static async Task<CrashReport> RunAsync(CrashOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(options.ProgramPath))
            throw new FileNotFoundException($"bulwark.dll is not at {options.ProgramPath}");
        var report = new CrashReport { Seed = options.Seed };
        var watch = Stopwatch.StartNew();
        var log = options.Log;
        log.WriteLine($"crash run: seed {options.Seed}, {options.LocalTrials} trial(s) per operation on a local folder" +
                      (options.Backends.Contains(BackendKind.S3) ? $", {options.S3Trials} on S3" : "") + $", data {options.DataMegabytes} MB");
        foreach (var backend in options.Backends)
        {
            if (backend == BackendKind.S3 && options.S3 is null)
                throw new ArgumentException("the S3 backend needs an S3 server (CrashOptions.S3)", nameof(options));
            var trials = backend == BackendKind.S3 ? options.S3Trials : options.LocalTrials;
            foreach (var operation in options.Operations)
            {
                var row = new CrashRow(operation, backend);
                report.Rows.Add(row);
                await RunScenarioAsync(options, Create(operation, options, backend), trials, row, report, cancellationToken).ConfigureAwait(false);
            }
        }
        report.Elapsed = watch.Elapsed;
        return report;
    }

    private static Scenario Create(string operation, CrashOptions options, BackendKind backend) => operation switch
    {
        Backup => new BackupScenario(options, backend),
        PgDump => new PgDumpKillScenario(options, backend),
        Cleanup => new CleanupScenario(options, backend),
        Copy => new CopyScenario(options, backend),
        RulesetActivate => new RulesetActivateScenario(options, backend),
        RestoreFiles => new RestoreFilesScenario(options, backend),
        _ => throw new ArgumentException($"unknown operation '{operation}'", nameof(operation)),
    };

    private static async Task RunScenarioAsync(CrashOptions options, Scenario scenario, int trials, CrashRow row,
        CrashReport report, CancellationToken cancellationToken)
    {
        var log = options.Log;
        var backend = scenario.Backend.ToString().ToLowerInvariant();
        // Each scenario draws its kill moments from a generator of its own, so that one can be run alone (--op,
        // --backend) with the same seed and get the same moments.
        var random = new Random(StableSeed(options.Seed, scenario.Name, scenario.Backend));
        await using (scenario.ConfigureAwait(false))
        {
            try
            {
                await scenario.SetupAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ScenarioSetupException or BulwarkException or IOException)
            {
                report.Failures.Add(new CrashFailure(options.Seed, scenario.Name, scenario.Backend, -1, "setup", Invariants.Harness, e.Message));
                log.WriteLine($"{scenario.Name}/{backend}: setup failed: {e.Message}");
                return;
            }
            for (var index = 0; index < trials; index++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var trial = new Trial(index, random.NextDouble());
                try
                {
                    await scenario.RunTrialAsync(trial, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    trial.Fail(Invariants.Harness, $"{e.GetType().Name}: {e.Message}");
                }
                row.Add(trial.Outcome, trial.Held);
                if (trial.Measures)
                    row.Typical = scenario.Typical;
                foreach (var (invariant, detail) in trial.Broken)
                    report.Failures.Add(new CrashFailure(options.Seed, scenario.Name, scenario.Backend, index, trial.Kill, invariant, detail));
                log.WriteLine($"{scenario.Name}/{backend} #{index}: {trial.Kill} -> {Describe(trial.Outcome)}; " +
                              (trial.Held ? "invariants held" : $"BROKEN: {string.Join("; ", trial.Broken.Select(b => $"{b.Invariant}: {b.Detail}"))}") +
                              (trial.Notes.Count > 0 ? $" ({string.Join("; ", trial.Notes)})" : ""));
                if (trial.Measures && (!trial.Held || scenario.Typical <= TimeSpan.Zero))
                {
                    log.WriteLine($"{scenario.Name}/{backend}: the measuring run failed; the scenario stops");
                    return;
                }
            }
        }
    }

    private static string Describe(TrialOutcome outcome) => outcome switch
    {
        TrialOutcome.KilledBeforeCommit => "killed before commit",
        TrialOutcome.KilledAfterCommit => "killed after commit",
        _ => "completed",
    };

    /// <summary>A seed per scenario that does not change between runs (string.GetHashCode does).</summary>
    public static int StableSeed(int seed, string operation, BackendKind backend)
    {
        var hash = (uint)seed;
        foreach (var c in operation + "/" + backend)
            hash = (hash ^ c) * 16777619u;
        return (int)(hash & 0x7fffffff);
    }
}
