using System.Globalization;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// How cost grows with size: at each pgbench scale (plus the text/jsonb table), the 'bulwark' program's backup,
/// restore, drill and check, and its backup's peak memory, beside pg_dump -Fc -Z0 | zstd -3 and zstd -dc | pg_restore
/// of the same data, measured in the same run. Time should grow linearly with the dump and memory stay flat.
/// </summary>
public static class ScaleBenchmark
{
    private sealed record Row(int Scale, long DumpBytes, double Floor, double Script, double Backup, long BackupPeakKiB,
        long ScriptPeakKiB, double PgRestore, double Restore, double Drill, double Check, long StoredBytes, long ScriptBytes);

    /// <summary>
    /// How long after deleting many files a timed backup waits. On ext4 without a journal (this machine's), a new file's
    /// inode skips those freed in the last 60 s (6 minutes while their inode table block is unwritten, which the kernel
    /// writes back after 30 s), so the first thousands of files created after a mass deletion cost several times their
    /// usual kernel time: a backup that writes a file per chunk would pay for the benchmark's own clean-up, the
    /// script's single file would not.
    /// </summary>
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(95);

    public static async Task RunAsync(IReadOnlyList<int> scales, string work, int rounds)
    {
        var rows = new List<Row>();
        var lastDeletion = DateTime.MinValue;
        foreach (var scale in scales)
        {
            var server = await BenchDatabase.CreateAsync(scale, work, pgbench: false);
            try
            {
                rows.Add(await MeasureAsync(await server.MixedAsync(), work, rounds, lastDeletion));
            }
            finally
            {
                await server.DisposeAsync();
                lastDeletion = DateTime.UtcNow;
            }
            Print(rows, rounds);
        }
    }

    private static async Task<Row> MeasureAsync(BenchDatabase db, string work, int rounds, DateTime lastDeletion)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, CancellationToken.None);
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        var env = db.Settings.ToEnvironment();
        var zst = Path.Combine(work, $"scale-{db.Scale}.dump.zst");
        var floor = new List<double>();
        var script = new List<BudgetBenchmark.Timed>();
        var backup = new List<BudgetBenchmark.Timed>();
        var pgRestores = new List<double>();
        var restores = new List<double>();
        var drills = new List<double>();
        var checks = new List<double>();
        long dumpBytes = 0, stored = 0;
        var repositories = Enumerable.Range(0, rounds).Select(r => Path.Combine(work, $"scale-{db.Scale}-repo-{r}")).ToList();
        try
        {
            // Every round's backups before any restore, drill or repository is deleted (see Settle).
            var wait = lastDeletion + Settle - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
            {
                Console.Error.WriteLine($"# waiting {wait.TotalSeconds:0} s after the previous scale's clean-up (ext4 without a journal)");
                await Task.Delay(wait);
            }
            for (var round = 0; round < rounds; round++)
            {
                var repository = repositories[round];
                await BackupBenchmark.Init(BackupBenchmark.Context(db, repository));
                var programEnv = BackupBenchmark.ProgramEnvironment(db, repository, work);
                floor.Add((await BudgetBenchmark.TimeAsync("bash", ["-c", $"'{pgDump}' -Fc -Z0 > /dev/null"], env)).Wall);
                script.Add(await BudgetBenchmark.TimeAsync("bash", ["-c", $"set -o pipefail; '{pgDump}' -Fc -Z0 | zstd -3 -q > '{zst}'"], env));
                backup.Add(await BudgetBenchmark.TimeAsync(program, [.. prefix, "backup"], programEnv));
                stored = Directory.EnumerateFiles(Path.Combine(repository, "chunks"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            }
            await BudgetBenchmark.TimeAsync("bash", ["-c", $"'{pgDump}' -Fc -Z0 | wc -c > '{zst}.size'"], env);
            dumpBytes = long.Parse((await File.ReadAllTextAsync(zst + ".size")).Trim(), CultureInfo.InvariantCulture);

            for (var round = 0; round < rounds; round++)
            {
                var programEnv = BackupBenchmark.ProgramEnvironment(db, repositories[round], work);
                // Creating the database is timed on both sides, as 'restore --create' does it (0.2-0.3 s here).
                var plain = $"scale_plain_{round}";
                pgRestores.Add((await BudgetBenchmark.TimeAsync("bash", ["-c",
                        $"set -o pipefail; psql -X -q -d postgres -c 'CREATE DATABASE {plain}' && zstd -dc '{zst}' | '{pgRestore}' -d {plain}"],
                    db.Server.Settings(plain).ToEnvironment())).Wall);
                await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"DROP DATABASE {plain}");

                // The target's password comes from PGPASSWORD, not the command line.
                var target = $"scale_bulwark_{round}";
                var restoreEnv = new Dictionary<string, string?>(programEnv) { ["PGPASSWORD"] = db.Settings.ToEnvironment()["PGPASSWORD"] };
                restores.Add((await BudgetBenchmark.TimeAsync(program,
                    [.. prefix, "restore", "latest", "--target", db.Server.Url(target), "--create", "--no-analyze"], restoreEnv)).Wall);
                await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"DROP DATABASE {target}");

                drills.Add((await BudgetBenchmark.TimeAsync(program, [.. prefix, "test-restore", "latest"], programEnv)).Wall);
                checks.Add((await BudgetBenchmark.TimeAsync(program, [.. prefix, "check"], programEnv)).Wall);
            }
        }
        finally
        {
            foreach (var repository in repositories.Where(Directory.Exists))
            {
                Directory.Delete(repository, recursive: true);
                if (Directory.Exists(repository + "-state"))
                    Directory.Delete(repository + "-state", recursive: true);
            }
        }
        var row = new Row(db.Scale, dumpBytes, Median(floor), Median(script.Select(t => t.Wall)), Median(backup.Select(t => t.Wall)),
            backup.Max(t => t.PeakKiB), script.Max(t => t.PeakKiB), Median(pgRestores), Median(restores), Median(drills),
            Median(checks), stored, new FileInfo(zst).Length);
        File.Delete(zst);
        File.Delete(zst + ".size");
        return row;
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static void Print(IReadOnlyList<Row> rows, int rounds)
    {
        Console.WriteLine($"## Scale: pgbench plus the text/jsonb table, the 'bulwark' program against the script (medians of {rounds})");
        Console.WriteLine("| scale | -Z0 dump MiB | `pg_dump -Fc -Z0 > /dev/null` s | `pg_dump -Fc -Z0 \\| zstd -3 > file` s | bulwark backup s (× script) | backup peak MiB (script's) | `CREATE DATABASE`, `zstd -dc \\| pg_restore -d` s | bulwark restore s (×) | drill s | check s | stored MiB (.zst MiB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {r.Scale} | {r.DumpBytes / 1048576.0:0} | {r.Floor:0.0} | {r.Script:0.0} | {r.Backup:0.0} ({r.Backup / r.Script:0.00}) | {r.BackupPeakKiB / 1024.0:0} ({r.ScriptPeakKiB / 1024.0:0}) | {r.PgRestore:0.0} | {r.Restore:0.0} ({r.Restore / r.PgRestore:0.00}) | {r.Drill:0.0} | {r.Check:0.00} | {r.StoredBytes / 1048576.0:0.0} ({r.ScriptBytes / 1048576.0:0.0}) |"));
        }
        if (rows.Count > 1)
        {
            var first = rows[0];
            var last = rows[^1];
            var size = (double)last.DumpBytes / first.DumpBytes;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"From scale {first.Scale} to {last.Scale} the dump grows {size:0.0}×: backup time {last.Backup / first.Backup:0.0}×, restore {last.Restore / first.Restore:0.0}×, drill {last.Drill / first.Drill:0.0}×, backup peak memory {(double)last.BackupPeakKiB / first.BackupPeakKiB:0.00}×."));
        }
        Console.WriteLine("Peak memory: the largest resident set among a command's processes (/usr/bin/time; for bulwark, itself or its pg_dump).");
        Console.WriteLine();
    }
}
