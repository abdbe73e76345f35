using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Processes;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Reads a database back the way a backup reads it: pg_dump --format=custom --compress=0 through the same archive
/// parser and fingerprinting, with the backup's COPY text settings pinned through PGOPTIONS. Both sides of a drill
/// therefore use the same code and the same text form. Rows are hashed in the backup's column order (matched by name,
/// <see cref="CopyColumns"/>), since a restore may put a table's columns in another order.
/// </summary>
public static class DatabaseReadBack
{
    public static async Task<(ArchiveSummary Summary, PgVersion DumpVersion)> ReadAsync(PgConnectionSettings database,
        IReadOnlyDictionary<string, string>? textSettings, string? binDirectory,
        IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>>? backupColumns, CancellationToken cancellationToken)
    {
        var (pgDump, version) = await new PgTools(binDirectory).FindAsync("pg_dump", null, cancellationToken).ConfigureAwait(false);
        var environment = new Dictionary<string, string?>(database.ToEnvironment());
        if (textSettings is { Count: > 0 })
        {
            environment.TryGetValue("PGOPTIONS", out var existing);
            environment["PGOPTIONS"] = CopyTextSettings.ToOptions(textSettings, existing);
        }
        await using var dump = ProcessRunner.Start(pgDump, ["--format=custom", "--compress=0", "--no-password"],
            environment, redirectInput: false, redirectOutput: true, cancellationToken);
        ArchiveSummary summary;
        try
        {
            summary = await ArchiveReading.ReadAsync(BatchingPipeStream.Wrap(dump.StandardOutput), backupColumns, cancellationToken).ConfigureAwait(false);
        }
        catch (ArchiveFormatException)
        {
            // A dump that failed half way is truncated: pg_dump's own error says why.
            dump.Kill();
            var failed = await dump.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            if (failed != 0)
                throw Failed(failed, dump.ErrorSummary);
            throw;
        }
        var code = await dump.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw Failed(code, dump.ErrorSummary);
        return (summary, version);
    }

    private static BulwarkException Failed(int code, string? summary)
    {
        var failure = PostgresBackup.ToolFailed("pg_dump", code, summary);
        return failure.Kind == ErrorKind.Failed
            ? new BulwarkException(ErrorKind.Failed, $"reading the restored database back with pg_dump failed (exit code {code}): {summary ?? "no message"}",
                "run pg_dump against the scratch database by hand (keep it with --keep) to see why")
            : failure;
    }
}
