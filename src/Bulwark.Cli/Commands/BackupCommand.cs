using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Backup;

namespace Bulwark.Cli.Commands;

public static class BackupCommand
{
    public static Command Create()
    {
        var source = new Option<string?>("--source", "-s")
        {
            Description = "Database to back up (postgres:// URL or key=value), overriding 'postgres.url'",
            HelpName = "URL",
        };
        var globals = new Option<bool>("--globals")
        {
            Description = "Also back up roles and tablespaces (pg_dumpall --globals-only; role passwords only as superuser)",
        };
        var tags = new Option<string[]>("--tag", "-t")
        {
            Description = "Tag the snapshot (repeatable)",
            HelpName = "TAG",
            AllowMultipleArgumentsPerToken = false,
        };
        var filesOnly = new Option<bool>("--files-only")
        {
            Description = "Store only the files and modules of the configuration, not the database",
        };
        var command = new Command("backup",
            "Back up the database into the repository at one consistent point in time, with the files and module versions of the configuration.")
        {
            source, globals, tags, filesOnly,
        };
        command.SetHandler(async (run, ct) =>
        {
            var request = new BackupRequest
            {
                Source = run.Get(source),
                Globals = run.Get(globals) ? true : null,
                Tags = run.Get(tags) ?? [],
                FilesOnly = run.Get(filesOnly),
            };
            var context = run.Context;
            BackupResult result;
            CopyAfterBackupFailedException? copyFailure = null;
            try
            {
                result = await run.Output.WithProgressAsync("backing up", null,
                    progress =>
                    {
                        var operation = new BackupOperation(context);
                        operation.Warning += message => run.Output.Note("warning: " + message);
                        return operation.RunAsync(request, progress, ct);
                    });
            }
            catch (CopyAfterBackupFailedException e)
            {
                // The snapshot is saved: show it, then fail with the copy's error (and its exit code).
                result = e.Backup;
                copyFailure = e;
            }
            var manifest = result.Snapshot.Manifest;
            var stats = manifest.Statistics!;
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.Backup
                {
                    Snapshot = result.Snapshot.Id.ToString(),
                    ShortId = result.Snapshot.ShortId,
                    Time = manifest.Time,
                    DurationSeconds = manifest.Duration.TotalSeconds,
                    Source = result.Source,
                    Repository = context.RepositoryDisplay,
                    Size = manifest.TotalSize,
                    Statistics = stats,
                    Streams = manifest.Streams.Select(s => new JsonOutputs.BackupStream(s.Name, s.Kind, s.Size, s.Sha256)),
                    Copy = result.Copy,
                    CopyError = copyFailure?.Message,
                });
                return CopyOutcome(run, copyFailure);
            }
            run.Output.Line($"snapshot {result.Snapshot.ShortId} saved to {context.RepositoryDisplay}");
            run.Output.Line(manifest.Source.ServerVersion is null
                ? $"  source     {result.Source}"
                : $"  source     {result.Source} (PostgreSQL {manifest.Source.ServerVersion})");
            foreach (var stream in manifest.Streams)
                run.Output.Line($"  {stream.Name,-10} {Format.Bytes(stream.Size)}, sha256 {stream.Sha256}");
            run.Output.Line($"  new        {Format.Bytes(stats.NewBytes)} in {stats.NewChunks} chunks, stored as {Format.Bytes(stats.StoredBytes)}");
            run.Output.Line($"  reused     {Format.Bytes(stats.ReusedBytes)} in {stats.ReusedChunks} chunks");
            run.Output.Line($"  duration   {Format.Duration(manifest.Duration)}");
            if (manifest.Fingerprints is { Error: null } fingerprints)
                run.Output.Line($"  fingerprints {fingerprints.Tables.Count} tables, {fingerprints.Rows:N0} rows, {fingerprints.Sequences.Count} sequences");
            else if (manifest.Fingerprints?.Error is { } error)
                run.Output.Note($"warning: no fingerprints for this snapshot, so it cannot be drilled: {error}");
            if (result.Copy is not null)
                CopyCommand.Print(run.Output, result.Copy);
            return CopyOutcome(run, copyFailure);
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.StorageUnavailable, ExitCodes.ToolMissing,
            ExitCodes.WrongPassphrase, ExitCodes.Cancelled);
    }

    /// <summary>A failed 'copy-to' is not silent: its error on standard error, and its exit code.</summary>
    private static int CopyOutcome(Invocation run, CopyAfterBackupFailedException? failure)
    {
        if (failure is null)
            return ExitCodes.Ok;
        run.Output.Fail(failure.Message, failure.Advice);
        return ExitCodes.For(failure.Kind);
    }
}
