using System.Globalization;
using Bulwark.Sources.Processes;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// Runs pg_amcheck --heapallindexed on every database of a recovered server: heap pages and every B-tree index are
/// checked, and each index against the heap. The amcheck extension is installed where it is missing (the server is a
/// throwaway copy).
/// </summary>
public static class Amcheck
{
    public static async Task<AmcheckResult> RunAsync(RecoveryServer server, string superuser, string? binDirectory,
        CancellationToken cancellationToken)
    {
        var (program, _) = await new PgTools(binDirectory).FindAsync("pg_amcheck", null, cancellationToken).ConfigureAwait(false);
        var arguments = new List<string>
        {
            "--all", "--heapallindexed", "--install-missing", "--no-password",
            "--host", server.SocketDirectory, "--port", server.Port.ToString(CultureInfo.InvariantCulture),
            "--username", superuser, "--maintenance-db", "postgres",
        };
        await using var run = ProcessRunner.Start(program, arguments, new Dictionary<string, string?> { ["LC_ALL"] = "C", ["PGPASSWORD"] = null },
            redirectInput: false, redirectOutput: true, cancellationToken, workingDirectory: "/");
        var output = await new StreamReader(run.StandardOutput).ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        var code = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        var findings = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(run.ErrorLines).ToList();
        // 0: nothing found; 2: corruption found; anything else: pg_amcheck could not run.
        if (code is not (0 or 2))
            throw new BulwarkException(ErrorKind.Failed, $"pg_amcheck failed (exit {code}): {string.Join(" / ", findings.TakeLast(3))}",
                "check that the amcheck extension is installed with the server (postgresql-contrib)");
        return new AmcheckResult(code == 0, findings);
    }
}

/// <summary>pg_amcheck's verdict: clean, or what it found.</summary>
public sealed record AmcheckResult(bool Clean, IReadOnlyList<string> Findings);
