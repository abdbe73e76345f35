using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Restore;

namespace Bulwark.Cli.Commands;

public static class RestoreCommand
{
    public static Command Create()
    {
        var snapshot = new Argument<string>("snapshot") { Description = "Snapshot id (a unique prefix is enough) or 'latest'" };
        var target = new Option<string?>("--target") { Description = "Database to restore into (postgres:// URL or key=value)", HelpName = "URL" };
        var create = new Option<bool>("--create") { Description = "Create the target database (it must not exist)" };
        var clean = new Option<bool>("--clean") { Description = "Restore into a non-empty database, dropping the objects it replaces" };
        var schemas = new Option<string[]>("--schema", "-n") { Description = "Restore only this schema (repeatable)", HelpName = "SCHEMA" };
        var tables = new Option<string[]>("--table") { Description = "Restore only this table (repeatable; its indexes are not restored)", HelpName = "TABLE" };
        var jobs = new Option<int>("--jobs", "-j") { Description = "Parallel restore jobs (above 1 the dump is spooled to a temporary file and the restore is not one transaction)", DefaultValueFactory = _ => 1 };
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
        var source = SourceOption.Create("With several sources: 'latest' is this source's newest snapshot");
        var command = new Command("restore",
            "Restore a snapshot into a database, write its dump to a file, or restore its configuration files (--files-to).\n" +
            "--storage-to uploads its Supabase Storage files too (objects holding other content are refused without --overwrite).\n" +
            "A sequential restore runs in one transaction: the target is complete or unchanged.")
        {
            snapshot, source, target, create, clean, schemas, tables, jobs, noOwner, noAcl, globals, noAnalyze, toFile, stream, filesTo, file, storageTo, overwrite,
        };
        command.SetHandler(async (run, ct) =>
        {
            var request = new RestoreRequest
            {
                Snapshot = run.Get(snapshot),
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
