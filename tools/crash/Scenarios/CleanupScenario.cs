namespace Bulwark.Crash.Scenarios;

/// <summary>
/// kill -9 of `bulwark cleanup` (policy keep-last 2; each trial first adds a backup, so each cleanup has a snapshot
/// and its chunks to remove): the two newest snapshots stay whole, and the next cleanup removes exactly the
/// forgotten snapshot and everything unreferenced.
/// </summary>
public sealed class CleanupScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "cleanup")
{
    private const int Keep = 2;
    private static readonly string[] Command = ["cleanup"];

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await CreateDatabaseAsync(cancellationToken).ConfigureAwait(false);
        WriteConfig(Repository, keepLast: Keep, withDatabase: true);
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
        for (var i = 0; i < Keep; i++)
        {
            await ChangeDataAsync(i, cancellationToken).ConfigureAwait(false);
            await MustAsync(cancellationToken, "backup").ConfigureAwait(false);
        }
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        await ChangeDataAsync(trial.Index, cancellationToken).ConfigureAwait(false);
        await MustAsync(cancellationToken, "backup").ConfigureAwait(false);
        var before = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        // Oldest first: the newest Keep stay (the newest is also the newest verified, which safety keeps).
        var kept = before.TakeLast(Keep).ToList();
        var forgotten = before.SkipLast(Keep).ToList();

        var run = await RunKilledAsync(trial, Command, cancellationToken).ConfigureAwait(false);
        var after = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        CheckSurvivors(trial, kept, after);
        trial.Check(after.All(s => before.Any(b => b.Id == s.Id)), Invariants.SnapshotsSurvive, () => "a snapshot appeared during a cleanup");
        if (run.WasKilled)
            trial.Outcome = forgotten.Any(f => after.All(a => a.Id != f.Id)) ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
        await VerifyAsync(trial, Repository, cancellationToken).ConfigureAwait(false);

        // The retry is the cleanup that must leave nothing behind.
        await AgeLeftoversAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
        var start = DateTimeOffset.UtcNow;
        if (run.WasKilled)
            await RetryAsync(trial, Command, cancellationToken).ConfigureAwait(false);
        else
            start = trial.Started; // the completed run was the cleanup
        var final = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        trial.Check(final.Select(s => s.Id).Order().SequenceEqual(kept.Select(s => s.Id).Order()), Invariants.RetryCompletes,
            () => $"after the cleanup {final.Count} snapshot(s) are left, the policy keeps {kept.Count}");
        await InspectAsync(trial, Repository, start, cancellationToken).ConfigureAwait(false);
    }
}
