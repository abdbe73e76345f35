namespace Bulwark.Crash.Scenarios;

/// <summary>
/// kill -9 of `bulwark backup`: the earlier snapshots stay whole, at most one new snapshot appears (whole: it
/// verifies), the next backup succeeds, and a cleanup removes everything the killed backup left.
/// </summary>
public sealed class BackupScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "backup")
{
    private static readonly string[] Command = ["backup"];

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await CreateDatabaseAsync(cancellationToken).ConfigureAwait(false);
        WriteConfig(Repository, keepLast: 3, withDatabase: true);
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        await ChangeDataAsync(trial.Index, cancellationToken).ConfigureAwait(false);
        var before = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        var run = await RunKilledAsync(trial, Command, cancellationToken).ConfigureAwait(false);
        var after = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        CheckSurvivors(trial, before, after);
        var added = after.Count(s => before.All(b => b.Id != s.Id));
        if (run.WasKilled)
        {
            trial.Outcome = added > 0 ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
            trial.Check(added <= 1, Invariants.SnapshotsSurvive, () => $"a killed backup left {added} new snapshots");
        }
        else if (run.ExitCode == 0)
        {
            trial.Check(added == 1, Invariants.Completes, () => $"a backup that succeeded added {added} snapshots");
        }
        await VerifyAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
        if (run.WasKilled)
            await RetryAsync(trial, Command, cancellationToken).ConfigureAwait(false);
        await CleanupAndInspectAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>
/// SIGKILL of the pg_dump that `bulwark backup` streams from, at a random moment of its life: the backup fails (not
/// 0, a message that names pg_dump, no stack trace) and commits no snapshot; the next backup succeeds.
/// </summary>
public sealed class PgDumpKillScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "backup, pg_dump killed")
{
    private static readonly string[] Command = ["backup"];

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await CreateDatabaseAsync(cancellationToken).ConfigureAwait(false);
        WriteConfig(Repository, keepLast: 3, withDatabase: true);
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        await ChangeDataAsync(trial.Index, cancellationToken).ConfigureAwait(false);
        var before = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        var delay = trial.Measures ? (TimeSpan?)null : Typical * trial.Fraction;
        TimeSpan? lived = null;
        // The dumping pg_dump is the one given the exported snapshot (not 'pg_dump --version').
        var run = await Program.RunAsync(Command, Killers.Child("pg_dump", "--snapshot=", delay, l => lived = l),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        if (trial.Measures)
        {
            if (lived is null)
                throw new ScenarioSetupException($"{Name}: no pg_dump child of bulwark was seen ({run.Describe()})");
            Typical = lived.Value;
        }
        var after = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        CheckSurvivors(trial, before, after);
        var added = after.Count(s => before.All(b => b.Id != s.Id));
        if (run.Kill.Sent)
        {
            trial.Kill = $"pg_dump killed {Trial.Seconds(delay!.Value)} after it started";
            trial.Outcome = added > 0 ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
            var stderr = run.Stderr.Trim();
            trial.Check(run.ExitCode is not 0 and not ProgramRun.KilledExitCode, Invariants.PgDumpKillFailsCleanly,
                () => $"bulwark exited {run.ExitCode}: {run.Describe()}");
            trial.Check(added == 0, Invariants.PgDumpKillFailsCleanly, () => $"a snapshot was committed although pg_dump was killed: {run.Describe()}");
            trial.Check(stderr.Contains("pg_dump", StringComparison.Ordinal) && !stderr.Contains("   at ", StringComparison.Ordinal),
                Invariants.PgDumpKillFailsCleanly, () => $"the message does not name pg_dump, or has a stack trace: {run.Describe()}");
        }
        else
        {
            trial.Kill = trial.Measures ? $"measured pg_dump {Trial.Seconds(Typical)}" : $"pg_dump ended before the kill at {Trial.Seconds(delay!.Value)}";
            trial.Outcome = TrialOutcome.Completed;
            trial.Check(run.ExitCode == 0 && added == 1, Invariants.Completes, () => $"{run.Describe()}; {added} new snapshot(s)");
        }
        await VerifyAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
        if (run.Kill.Sent)
            await RetryAsync(trial, Command, cancellationToken).ConfigureAwait(false);
        await CleanupAndInspectAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
    }
}
