namespace Bulwark.Crash.Scenarios;

/// <summary>
/// kill -9 of `bulwark copy --to DEST SNAPSHOT`, the destination on the scenario's backend (the source is a local
/// folder; each trial first backs up into it): the destination's snapshots stay whole, the copy appears whole or not
/// at all, the next copy succeeds and leaves exactly one copy, and a cleanup of the destination removes the rest.
/// </summary>
public sealed class CopyScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "copy")
{
    private RepositoryTarget _source = null!;

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        await CreateDatabaseAsync(cancellationToken).ConfigureAwait(false);
        _source = RepositoryTarget.Local(Path.Combine(Folder, "source"));
        // bulwark.yml names the source; the destination is given with --to (and --repo for its verify and cleanup).
        WriteConfig(_source, keepLast: 3, withDatabase: true);
        await MustAsync(cancellationToken, "init", _source.Location).ConfigureAwait(false);
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        await ChangeDataAsync(trial.Index, cancellationToken).ConfigureAwait(false);
        await MustAsync(cancellationToken, "backup").ConfigureAwait(false);
        if (trial.Index % 4 == 3)
            await MustAsync(cancellationToken, "cleanup").ConfigureAwait(false);
        var newest = (await _source.SnapshotsAsync(cancellationToken).ConfigureAwait(false))[^1];
        string[] command = ["copy", "--to", Repository.Location, newest.Id.ToString()];
        var before = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);

        var run = await RunKilledAsync(trial, command, cancellationToken).ConfigureAwait(false);
        var after = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
        CheckSurvivors(trial, before, after);
        int Copies(IEnumerable<Repository.Snapshots.Snapshot> snapshots) =>
            snapshots.Count(s => s.Manifest.CopiedFrom?.Snapshot == newest.Id.ToString());
        if (run.WasKilled)
            trial.Outcome = Copies(after) > 0 ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
        trial.Check(Copies(after) <= 1, Invariants.SnapshotsSurvive, () => $"{Copies(after)} copies of {newest.ShortId}");
        await VerifyAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
        if (run.WasKilled)
        {
            await RetryAsync(trial, command, cancellationToken).ConfigureAwait(false);
            var retried = await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false);
            trial.Check(Copies(retried) == 1, Invariants.RetryCompletes, () => $"after the retry the destination holds {Copies(retried)} copies of {newest.ShortId}");
        }
        else if (run.ExitCode == 0)
        {
            trial.Check(Copies(after) == 1, Invariants.Completes, () => $"after the copy the destination holds {Copies(after)} copies of {newest.ShortId}");
        }
        await CleanupAndInspectAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
    }
}
