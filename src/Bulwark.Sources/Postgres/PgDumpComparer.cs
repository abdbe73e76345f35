using Bulwark.Sources.Processes;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Compares two databases by what pg_dump prints of them (schema and data, plain format), line by line. Comment
/// lines and psql's per-run \restrict keys are left out; everything else must be equal.
/// </summary>
public static class PgDumpComparer
{
    public static async Task<DumpComparison> CompareAsync(PgConnectionSettings left, PgConnectionSettings right,
        string? binDirectory, int maxDifferences = 10, IReadOnlyList<string>? dumpArguments = null,
        CancellationToken cancellationToken = default)
    {
        var tools = new PgTools(binDirectory);
        var (pgDump, _) = await tools.FindAsync("pg_dump", null, cancellationToken).ConfigureAwait(false);
        await using var a = Start(pgDump, left, dumpArguments, cancellationToken);
        await using var b = Start(pgDump, right, dumpArguments, cancellationToken);
        using var readerA = new StreamReader(a.StandardOutput);
        using var readerB = new StreamReader(b.StandardOutput);
        var differences = new List<string>();
        long lines = 0;
        while (true)
        {
            var lineA = await NextAsync(readerA, cancellationToken).ConfigureAwait(false);
            var lineB = await NextAsync(readerB, cancellationToken).ConfigureAwait(false);
            if (lineA is null && lineB is null)
                break;
            lines++;
            if (lineA != lineB && differences.Count < maxDifferences)
                differences.Add($"line {lines}: {Show(lineA)} <> {Show(lineB)}");
        }
        foreach (var (run, settings) in new[] { (a, left), (b, right) })
        {
            var code = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (code != 0)
                throw new BulwarkException(ErrorKind.Failed, $"pg_dump of {settings.Display} failed: {run.ErrorSummary}");
        }
        return new DumpComparison(differences.Count == 0, lines, differences);
    }

    /// <remarks><paramref name="dumpArguments"/> narrow the dump (--schema=…, --table=…).</remarks>
    private static ProcessRunner Start(string pgDump, PgConnectionSettings settings, IReadOnlyList<string>? dumpArguments,
        CancellationToken cancellationToken) =>
        ProcessRunner.Start(pgDump, ["--format=plain", "--no-password", .. dumpArguments ?? []], settings.ToEnvironment(), redirectInput: false,
            redirectOutput: true, cancellationToken);

    private static async Task<string?> NextAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith("--", StringComparison.Ordinal) || line.StartsWith("\\restrict ", StringComparison.Ordinal) ||
                line.StartsWith("\\unrestrict ", StringComparison.Ordinal))
                continue;
            return line;
        }
        return null;
    }

    private static string Show(string? line) =>
        line is null ? "(end)" : line.Length > 120 ? string.Concat("'", line.AsSpan(0, 117), "...'") : $"'{line}'";
}

/// <summary>Whether two dumps are equal, how many lines were compared, and the first differences.</summary>
public sealed record DumpComparison(bool Equal, long Lines, IReadOnlyList<string> Differences);
