using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Restore;

namespace Bulwark.Cli.Commands;

public static class RestoreCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string?>("snapshot")
        {
            Description = "Snapshot id (a unique prefix is enough) or 'latest'; with --to-dir --to-time it may be left out (the newest base backup before that time)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var target = new Option<string?>("--target") { Description = "Database to restore into (postgres:// URL or key=value)", HelpName = "URL" };
        var create = new Option<bool>("--create") { Description = "Create the target database (it must not exist)" };
        var clean = new Option<bool>("--clean") { Description = "Restore into a non-empty database, dropping the objects it replaces" };
        var schemas = new Option<string[]>("--schema", "-n") { Description = "Restore only this schema (repeatable)", HelpName = "SCHEMA" };
        var tables = new Option<string[]>("--table") { Description = "Restore only this table (repeatable; its indexes are not restored)", HelpName = "TABLE" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Parallel restore jobs (above 1 the restore is not one transaction; a snapshot of backup --jobs loads its tables straight from the repository, a single archive is spooled to a temporary file first)", DefaultValueFactory = _ => 1 };
        var noOwner = new Option<bool>("--no-owner") { Description = "Do not restore object owners" };
        var noAcl = new Option<bool>("--no-acl") { Description = "Do not restore privileges" };
        var globals = new Option<bool>("--globals") { Description = "First create the snapshot's roles on the target server (existing roles are kept)" };
        var noAnalyze = new Option<bool>("--no-analyze") { Description = "Do not gather planner statistics (ANALYZE) for the restored tables afterwards" };
        var toFile = new Option<string?>("--to-file") { Description = "Write the original dump (pg_restore-compatible) to this file instead, checking its SHA-256", HelpName = "PATH" };
        var stream = new Option<string?>("--stream") { Description = "With --to-file: which stream to write (e.g. globals.sql)", HelpName = "NAME" };
        var filesTo = new Option<string?>("--files-to") { Description = "Restore the snapshot's files (from 'files:') below this folder, each atomically with its mode and time", HelpName = "DIR" };
        var file = new Option<string[]>("--file") { Description = "With --files-to: only this file or folder, as stored (repeatable; 'bulwark show' lists them)", HelpName = "PATH" };
        var storageTo = new Option<string?>("--storage-to") { Description = "Also upload the snapshot's Supabase Storage files to this Storage S3 endpoint (after the database with --target; ?region= names its region; key from SUPABASE_STORAGE_ACCESS_KEY_ID/SUPABASE_STORAGE_SECRET_ACCESS_KEY)", HelpName = "URL" };
        var overwrite = new Option<bool>("--overwrite") { Description = "With --files-to: replace existing files (atomically) instead of refusing; with --storage-to: replace objects that hold other content" };
        var toDir = new Option<string?>("--to-dir") { Description = "Write a base backup (backup --physical) into this new or empty folder as a data directory that recovers when started", HelpName = "DIR" };
        var toTime = new Option<DateTimeOffset?>("--to-time") { Description = "With --to-dir: recover up to this time (ISO 8601, e.g. 2026-12-05T03:00:00Z)", HelpName = "TIME" };
        var toLsn = new Option<string?>("--to-lsn") { Description = "With --to-dir: recover up to this WAL position (e.g. 0/3000060)", HelpName = "LSN" };
        var toName = new Option<string?>("--to-name") { Description = "With --to-dir: recover up to this restore point (pg_create_restore_point)", HelpName = "NAME" };
        var toEnd = new Option<bool>("--to-end") { Description = "With --to-dir: recover to the end of the archive (the default)" };
        var timeline = new Option<string?>("--timeline") { Description = "With --to-dir: the timeline recovery follows: latest (the default: the newest in the archive that descends from the base backup's), current (the base backup's) or a number", HelpName = "TIMELINE" };
        var start = new Option<bool>("--start") { Description = "With --to-dir: start a server on the folder, wait for the end of recovery, and leave it running (a copy to look at: it archives nothing into the repository)" };
        var port = new Option<int?>("--port") { Description = "With --start: its port on 127.0.0.1 (default: a free one)", HelpName = "PORT" };
        var source = SourceOption.Create("With several sources: 'latest' is this source's newest snapshot");
        var command = new Command("restore",
            "Restore a snapshot into a database, write its dump to a file, or restore its configuration files (--files-to).\n" +
            "--storage-to uploads its Supabase Storage files too (objects holding other content are refused without --overwrite).\n" +
            "A sequential restore runs in one transaction: the target is complete or unchanged.\n" +
            "--to-dir writes a base backup as a data directory with recovery.signal and a restore_command running 'bulwark wal fetch'\n" +
            "with this configuration, to the end of the archive or a target (--to-time, --to-lsn, --to-name), then promotes.\n" +
            "A non-empty folder is refused (exit 9).")
        {
            toDir, toTime, toLsn, toName, toEnd, timeline, start, port,
            snapshot, source, target, create, clean, schemas, tables, jobs, noOwner, noAcl, globals, noAnalyze, toFile, stream, filesTo, file, storageTo, overwrite,
        };
        command.SetHandler(async (run, ct) =>
        {
            if (run.Get(toDir) is { } directory)
                return await PhysicalRestoreCommand.RunAsync(run, SourceOption.Context(run, source), directory, run.Get(snapshot), run.Get(toTime), run.Get(toLsn),
                    run.Get(toName), run.Get(toEnd), run.Get(timeline), run.Get(start), run.Get(port), ct);
            if ((run.Get(toTime), run.Get(toLsn), run.Get(toName), run.Get(start), run.Get(port)) is not (null, null, null, false, null) || run.Get(toEnd) || run.Get(timeline) is not null)
                throw new BulwarkException(ErrorKind.Usage, "--to-time, --to-lsn, --to-name, --to-end, --timeline, --start and --port go with --to-dir",
                    "restore a base backup with 'bulwark restore SNAPSHOT --to-dir DIR --to-time T'");
            var request = new RestoreRequest
            {
                Snapshot = run.Get(snapshot) ?? throw new BulwarkException(ErrorKind.Usage, "restore needs a snapshot ('latest' or an id)",
                    "e.g. 'bulwark restore latest --target postgres://user@host/newdb --create'"),
                Target = run.Get(target),
                ToFile = run.Get(toFile),
                Stream = run.Get(stream),
                FilesTo = run.Get(filesTo),
                StorageTo = run.Get(storageTo),
                Files = run.Get(file) ?? [],
                Overwrite = run.Get(overwrite),
                Create = run.Get(create),
                Clean = run.Get(clean),
                Schemas = run.Get(schemas) ?? [],
                Tables = run.Get(tables) ?? [],
                Jobs = run.Get(jobs),
                NoOwner = run.Get(noOwner),
                NoPrivileges = run.Get(noAcl),
                Globals = run.Get(globals),
                Analyze = !run.Get(noAnalyze),
            };
            var context = SourceOption.Context(run, source);
            var result = await run.Output.WithProgressAsync("restoring", null,
                progress => new RestoreOperation(context).RunAsync(request, progress, ct));
            if (run.Json)
            {
                run.Output.WriteJson(result);
                return ExitCodes.Ok;
            }
            if (result.Files is not null)
            {
                foreach (var restored in result.Files)
                    run.Output.Line($"wrote {restored.Path} ({Format.Bytes(restored.Size)}, sha256 {restored.Sha256[..12]}… checked)");
                run.Output.Line($"restored {result.Files.Count} file{(result.Files.Count == 1 ? "" : "s")} from snapshot {result.Snapshot}");
            }
            else if (result.File is not null)
            {
                run.Output.Line($"wrote {result.File} ({Format.Bytes(result.Bytes)}) from snapshot {result.Snapshot}");
                run.Output.Line($"  sha256 {result.Sha256} (checked)");
            }
            else if (result.Target is not null)
            {
                run.Output.Line($"restored snapshot {result.Snapshot} into {result.Target}{(result.Created ? " (created)" : "")}");
                run.Output.Line($"  {Format.Bytes(result.Bytes)} of dump in {Format.Duration(result.Duration)}");
                if (result.Supabase is { } supabase)
                    RenderSupabase(run, supabase);
                if (result.AnalyzeDuration is { } analyzed)
                    run.Output.Line($"  statistics gathered (ANALYZE) in {Format.Duration(analyzed)}");
                if (result.AnalyzeProblem is { } problem)
                    run.Output.Note("warning: " + problem);
            }
            if (result.Storage is { } storage)
            {
                run.Output.Line($"uploaded {storage.Uploaded} Storage object{(storage.Uploaded == 1 ? "" : "s")} ({Format.Bytes(storage.UploadedBytes)}) to {storage.Endpoint}" +
                                (storage.Replaced > 0 ? $", {storage.Replaced} of them replacing other content (--overwrite)" : ""));
                if (storage.Unchanged > 0)
                    run.Output.Line($"  skipped {storage.Unchanged} already there with the same bytes");
                if (storage.BucketsCreated.Count > 0)
                    run.Output.Line($"  created bucket{(storage.BucketsCreated.Count == 1 ? "" : "s")} {string.Join(", ", storage.BucketsCreated)}");
            }
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.SourceUnavailable, ExitCodes.ToolMissing, ExitCodes.Refused,
            ExitCodes.Integrity, ExitCodes.Cancelled);
    }

    private static void RenderSupabase(Invocation run, Sources.Postgres.Supabase.SupabaseRestoreSummary summary)
    {
        run.Output.Line($"  Supabase project: {summary.TeamObjects} of the team's objects restored");
        foreach (var rows in summary.PlatformRows)
            run.Output.Line($"  {rows.Table}: {rows.Rows:N0} row{(rows.Rows == 1 ? "" : "s")}");
        if (summary.Truncated.Count > 0)
            run.Output.Line($"  emptied first (--clean): {string.Join(", ", summary.Truncated)}");
        foreach (var addition in summary.Additions)
            run.Output.Line($"  added to the platform: {addition}");
        foreach (var skip in summary.Skipped)
            run.Output.Line($"  skipped {skip.What}: {skip.Why}");
    }
}
