using System.Text;

namespace Bulwark.Crash.Scenarios;

/// <summary>
/// kill -9 of `bulwark ruleset activate VERSION --env prod`, switching between a small and a large version: the
/// environment's file is always one whole version, and the next run of the same activation completes it (file,
/// event, `ruleset verify`) and leaves no temporary file next to it.
/// </summary>
public sealed class RulesetActivateScenario(CrashOptions options, BackendKind backend) : Scenario(options, backend, "ruleset activate")
{
    private readonly Dictionary<string, byte[]> _versions = new(StringComparer.Ordinal);

    private string Target => Path.Combine(Folder, "environments", "prod", "ruleset.yml");

    public override async Task SetupAsync(CancellationToken cancellationToken)
    {
        WriteConfig(Repository, keepLast: 3, withDatabase: false);
        await MustAsync(cancellationToken, "init", Repository.Location).ConfigureAwait(false);
        var small = Encoding.UTF8.GetBytes("limits:\n  requests: 100\n");
        // A large version makes the write take long enough to be hit in the middle.
        var large = new StringBuilder("limits:\n  requests: 200\ndata: |\n");
        var line = "  " + new string('x', 126) + "\n";
        while (large.Length < Math.Max(1, Options.DataMegabytes / 2) << 20)
            large.Append(line);
        var working = Path.Combine(Folder, "ruleset.yml");
        await File.WriteAllBytesAsync(working, small, cancellationToken).ConfigureAwait(false);
        await MustAsync(cancellationToken, "ruleset", "create", "patch", "-m", "small", "--author", "crash").ConfigureAwait(false);
        _versions["1.0.0"] = small;
        await File.WriteAllTextAsync(working, large.ToString(), cancellationToken).ConfigureAwait(false);
        await MustAsync(cancellationToken, "ruleset", "create", "patch", "-m", "large", "--author", "crash").ConfigureAwait(false);
        _versions["1.0.1"] = Encoding.UTF8.GetBytes(large.ToString());
        await MustAsync(cancellationToken, "ruleset", "activate", "1.0.0", "--env", "prod", "--author", "crash").ConfigureAwait(false);
    }

    public override async Task RunTrialAsync(Trial trial, CancellationToken cancellationToken)
    {
        var current = await File.ReadAllBytesAsync(Target, cancellationToken).ConfigureAwait(false);
        var target = current.AsSpan().SequenceEqual(_versions["1.0.0"]) ? "1.0.1" : "1.0.0";
        string[] command = ["ruleset", "activate", target, "--env", "prod", "--author", "crash"];

        var run = await RunKilledAsync(trial, command, cancellationToken).ConfigureAwait(false);
        var content = File.Exists(Target) ? await File.ReadAllBytesAsync(Target, cancellationToken).ConfigureAwait(false) : null;
        var whole = content is not null && _versions.Values.Any(v => v.AsSpan().SequenceEqual(content));
        trial.Check(whole, Invariants.NoHalfWrittenFile,
            () => content is null ? $"{Target} is gone" : $"{Target} holds {content.Length} bytes that are neither version");
        var switched = content is not null && content.AsSpan().SequenceEqual(_versions[target]);
        if (run.WasKilled)
        {
            trial.Outcome = switched ? TrialOutcome.KilledAfterCommit : TrialOutcome.KilledBeforeCommit;
            // A ruleset lock cut off by the kill holds the ruleset for 10 minutes: the retry comes that much later.
            var locks = await Repository.AgeUnreadableLocksAsync(cancellationToken).ConfigureAwait(false);
            if (locks > 0)
                trial.Notes.Add($"{locks} lock object(s) that do not read (a put cut off by the kill)");
            var retry = await Program.RunAsync(command, cancellationToken: cancellationToken).ConfigureAwait(false);
            // A kill after the activation was recorded leaves nothing to do: the documented answer is a refusal
            // (exit 9, "already active") while the file matches.
            var alreadyDone = retry.ExitCode == 9 && retry.Stderr.Contains("already active", StringComparison.Ordinal) &&
                              !retry.Stderr.Contains("no longer matches", StringComparison.Ordinal);
            trial.Check(retry.ExitCode == 0 || alreadyDone, Invariants.RetrySucceeds, retry.Describe);
            if (alreadyDone)
                trial.Notes.Add("the killed activation had been recorded: the retry answered 'already active'");
        }
        if (run.WasKilled || run.ExitCode == 0)
        {
            var final = await File.ReadAllBytesAsync(Target, cancellationToken).ConfigureAwait(false);
            trial.Check(final.AsSpan().SequenceEqual(_versions[target]), Invariants.RetryCompletes, () => $"{Target} is not version {target}");
            var leftovers = Directory.GetFiles(Path.GetDirectoryName(Target)!, "*" + Storage.Local.AtomicFile.TemporarySuffix);
            trial.Check(leftovers.Length == 0, Invariants.RetryCompletes,
                () => $"temporary file(s) left next to the environment file: {string.Join(", ", leftovers.Select(Path.GetFileName))}");
            var verify = await Program.RunAsync(["ruleset", "verify"], cancellationToken: cancellationToken).ConfigureAwait(false);
            trial.Check(verify.ExitCode == 0, Invariants.RetryCompletes, () => "ruleset verify: " + verify.Describe() + " " + verify.Stdout.Trim());
        }
        await CleanupAndInspectAsync(trial, Repository, cancellationToken).ConfigureAwait(false);
    }
}
