namespace Bulwark.Crash.Scenarios;

/// <summary>
/// kill -9 of `bulwark restore SNAPSHOT --files-to DIR --overwrite` (a files-only snapshot of some 30 files, small
/// and large, in folders): every file under DIR is absent or byte-identical to the snapshot's, and the next run of
/// the same restore writes them all and leaves nothing else in DIR.
/// </summary>
public sealed class RestoreFilesScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "restore --files-to")
{
    private const string Data = "data";
    private string _snapshot = "";
    private Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        WriteConfig(Repository, keepLast: 3, withDatabase: false, extra: $"files:\n  - {Data}\n");
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
        // Content from a fixed generator: the files are the same in every run.
        var random = new Random(7);
        var total = (long)Options.DataMegabytes << 20;
        var folders = new[] { "", "a", "a/b", "c", "c/d/e" };
        for (var i = 0; i < 30; i++)
        {
            var size = i % 10 == 0 ? total / 5 : random.Next(0, (int)Math.Min(int.MaxValue, total / 40));
            var bytes = new byte[size];
            random.NextBytes(bytes);
            // Half compressible text, half noise, like configuration next to binaries.
            if (i % 2 == 0)
                for (var j = 0; j < bytes.Length; j++)
                    bytes[j] = (byte)('a' + bytes[j] % 8);
            var relative = Path.Combine(Data, folders[i % folders.Length], $"file-{i:00}.{(i % 2 == 0 ? "txt" : "bin")}");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(Folder, relative))!);
            await File.WriteAllBytesAsync(Path.Combine(Folder, relative), bytes, cancellationToken).ConfigureAwait(false);
            _files[relative] = bytes;
        }
        await MustAsync(cancellationToken, "backup").ConfigureAwait(false);
        _snapshot = (await Repository.SnapshotsAsync(cancellationToken).ConfigureAwait(false))[^1].Id.ToString();
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        var target = Path.Combine(Folder, "restored", $"trial-{trial.Index:000}");
        string[] command = ["restore", _snapshot, "--files-to", target, "--overwrite"];

        var run = await RunKilledAsync(trial, command, cancellationToken).ConfigureAwait(false);
        var (finished, temporary, wrong) = Look(target);
        foreach (var problem in wrong)
            trial.Fail(Invariants.NoHalfWrittenFile, problem);
        if (temporary.Count > 0)
            trial.Notes.Add($"{temporary.Count} temporary file(s) in the target");
        if (run.WasKilled)
            trial.Outcome = finished == _files.Count ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
        await VerifyAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
        if (run.WasKilled)
            await RetryAsync(trial, command, cancellationToken).ConfigureAwait(false);
        if (run.WasKilled || run.ExitCode == 0)
        {
            (finished, temporary, wrong) = Look(target);
            foreach (var problem in wrong)
                trial.Fail(Invariants.RetryCompletes, problem);
            trial.Check(finished == _files.Count, Invariants.RetryCompletes, () => $"{finished} of {_files.Count} files restored");
            trial.Check(temporary.Count == 0, Invariants.RetryCompletes,
                () => $"the restore left temporary file(s) in the target: {string.Join(", ", temporary.Take(3))}");
        }
        if (trial.Held)
            Directory.Delete(target, recursive: true);
        await CleanupAndInspectAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files under the target: how many are whole, which are temporary, and what is wrong with the rest.</summary>
    private (int Finished, List<string> Temporary, List<string> Wrong) Look(string target)
    {
        var finished = 0;
        var temporary = new List<string>();
        var wrong = new List<string>();
        if (!Directory.Exists(target))
            return (0, temporary, wrong);
        foreach (var path in Directory.EnumerateFiles(target, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(target, path);
            if (path.EndsWith(Storage.Local.AtomicFile.TemporarySuffix, StringComparison.Ordinal))
                temporary.Add(relative);
            else if (!_files.TryGetValue(relative, out var expected))
                wrong.Add($"{relative} is not a file of the snapshot");
            else if (!File.ReadAllBytes(path).AsSpan().SequenceEqual(expected))
                wrong.Add($"{relative} differs from the snapshot's ({new FileInfo(path).Length} bytes, expected {expected.Length})");
            else
                finished++;
        }
        return (finished, temporary, wrong);
    }
}
