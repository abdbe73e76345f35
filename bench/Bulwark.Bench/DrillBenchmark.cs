using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Drills;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Fingerprints;

namespace Bulwark.Bench;

/// <summary>
/// What proving restores costs: a backup with fingerprints against the same backup without (same run, alternating),
/// and a restore drill (restore into a scratch database + read back + compare) against pg_dump -Fc -Z0 > /dev/null.
/// </summary>
public static class DrillBenchmark
{
    public static async Task RunAsync(BenchDatabase db, string work, int rounds, int jobs)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var env = db.Settings.ToEnvironment();
        var n = 0;
        var backups = await Measure.CompareAsync(rounds,
            ("bulwark backup, fingerprints off", () => BackupAsync(db, Path.Combine(work, $"repo-off-{n++}"), fingerprints: false)),
            ("bulwark backup, fingerprints on", () => BackupAsync(db, Path.Combine(work, $"repo-on-{n++}"), fingerprints: true)));
        Measure.Print($"Fingerprinting cost, backup of pgbench scale {db.Scale} into an empty repository", backups, "bulwark backup, fingerprints off");
        var off = backups[0].Median;
        var on = backups[1].Median;
        Console.WriteLine($"Fingerprinting adds {(on - off) / off * 100:0.0}% to backup wall time (target: under 10%).");

        // The parser alone, single-threaded, on a dump file: what fingerprinting costs in CPU.
        var file = Path.Combine(work, "z0.dump");
        await Measure.RunProcessAsync(pgDump, ["-Fc", "-Z0"], env, file);
        var watch = Stopwatch.StartNew();
        await using (var stream = File.OpenRead(file))
            await ArchiveReading.ReadAsync(stream, CancellationToken.None);
        var size = new FileInfo(file).Length;
        Console.WriteLine($"Parsing and fingerprinting a {size / 1048576.0:0} MiB dump from a file: {watch.Elapsed.TotalSeconds:0.00} s ({size / 1048576.0 / watch.Elapsed.TotalSeconds:0} MiB/s, one core).");
        Console.WriteLine();

        var drillRepo = Path.Combine(work, "repo-drill");
        var context = await BackupAsync(db, drillRepo, fingerprints: true);
        var reports = new List<DrillReport>();
        var contenders = new List<(string, Func<Task>)>
        {
            ("pg_dump -Fc -Z0 > /dev/null", () => Measure.RunProcessAsync(pgDump, ["-Fc", "-Z0"], env)),
            ("bulwark test-restore (restore + compare)", async () =>
                reports.Add(await new DrillOperation(context).RunAsync(new DrillRequest { Jobs = 1 }, null, CancellationToken.None))),
        };
        if (jobs > 1)
        {
            contenders.Add(($"bulwark test-restore --jobs {jobs}", async () =>
                reports.Add(await new DrillOperation(context).RunAsync(new DrillRequest { Jobs = jobs }, null, CancellationToken.None))));
        }
        // What the restore alone costs with the stock tool, from a local file: the floor under any drill.
        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, CancellationToken.None);
        var m = 0;
        contenders.Add(("pg_restore --single-transaction of the -Z0 file (no compare)", async () =>
        {
            var name = $"r_floor_{m++}";
            await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"CREATE DATABASE {name}");
            await Measure.RunProcessAsync(pgRestore, ["--single-transaction", "--exit-on-error", "-d", name, file], db.Server.Settings(name).ToEnvironment());
            await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"DROP DATABASE {name}");
        }));
        var drills = await Measure.CompareAsync(rounds, [.. contenders]);
        File.Delete(file);
        Measure.Print($"Restore drill of pgbench scale {db.Scale}", drills, "pg_dump -Fc -Z0 > /dev/null");
        foreach (var r in reports)
            Console.WriteLine($"  drill: restore {r.RestoreDuration.TotalSeconds:0.00} s, statistics {r.AnalyzeDuration?.TotalSeconds ?? 0:0.00} s, read back and compare {r.CompareDuration.TotalSeconds:0.00} s, total {r.TotalDuration.TotalSeconds:0.00} s");
        Console.WriteLine($"{reports[0].Tables} tables, {reports[0].Rows:N0} rows, {reports[0].DumpBytes / 1048576.0:0} MiB of dump; all drills passed: {reports.All(r => r.Passed)}.");
        Console.WriteLine($"Drill / pg_dump: {drills[1].Median / drills[0].Median:0.00} (target: under 2.5)");
        Console.WriteLine();
    }

    private static async Task<BulwarkContext> BackupAsync(BenchDatabase db, string repository, bool fingerprints)
    {
        var context = new BulwarkContext(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = repository + "-state",
            Postgres = new PostgresConfig { Url = db.Url },
            Backup = new BackupConfig { Fingerprints = fingerprints },
        }, Path.GetDirectoryName(repository)!, _ => null));
        await BackupBenchmark.Init(context);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);
        return context;
    }
}
