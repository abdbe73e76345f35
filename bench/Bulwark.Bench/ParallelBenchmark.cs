using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// backup --jobs and restore --jobs on a database of four large tables (each with a primary key and a second index):
/// backup --jobs 2 against backup --jobs 1, each into an empty repository, beside pg_dump -Fd -j 2 (to a folder) and
/// pg_dump -Fc -Z0 > /dev/null; then restore --jobs 2 of the parallel snapshot against restore of the single-archive
/// snapshot (one job) and against pg_restore -j 2 of a directory-format dump of the same data (uncompressed, on local
/// disk). Bulwark is the program (CheckoutProgram: native where it can). The CPU seconds of each contender (with its
/// pg_dump or pg_restore) and of the server during it are printed beside the wall times: on two cores, the server's
/// COPY work and index builds share them, and their sum over the cores is the floor of any schedule.
/// </summary>
public static class ParallelBenchmark
{
    public static async Task RunAsync(BenchDatabase db, string work, int rounds, int jobs, int size)
    {
        var source = await FourTablesAsync(db, size);
        var env = db.Server.Settings(source).ToEnvironment();
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, CancellationToken.None);
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        var url = db.Server.Url(source, withPassword: true);

        var n = 0;
        var cpu = new Dictionary<string, List<Cpu>>();
        string? single = null, parallel = null;
        string Backup(int j) => $"bulwark backup --jobs {j}";
        async Task BackupAsync(int j)
        {
            var repository = Path.Combine(work, $"repo-par-{n++}");
            await BackupBenchmark.Init(Context(repository, url));
            await Timed(Backup(j), program, [.. prefix, "backup", "--jobs", $"{j}"], ProgramEnvironment(repository, url, work));
            if (j == 1) single = repository; else parallel = repository;
        }
        var folder = Path.Combine(work, "dir-dump");
        var dumpFolder = $"pg_dump -Fd -Z0 -j {jobs} (to a folder)";
        var dumpNull = "pg_dump -Fc -Z0 > /dev/null";
        var backups = await Measure.CompareAsync(rounds,
            (Backup(1), () => BackupAsync(1)),
            (Backup(jobs), () => BackupAsync(jobs)),
            (dumpFolder, () =>
            {
                if (Directory.Exists(folder))
                    Directory.Delete(folder, recursive: true);
                return Timed(dumpFolder, pgDump, ["-Fd", "-Z0", $"-j{jobs}", "-f", folder], env);
            }),
            (dumpNull, () => Timed(dumpNull, "bash", ["-c", $"'{pgDump}' -Fc -Z0 > /dev/null"], env)));
        Measure.Print($"Backup of four large tables ({await SizeAsync(db, source)})", backups, Backup(1));
        PrintCpu(cpu, Backup(1), Backup(jobs), dumpFolder, dumpNull);
        Console.WriteLine($"backup --jobs {jobs} / --jobs 1: {backups[1].Median / backups[0].Median:0.00} (target: at most 0.7)");
        Console.WriteLine($"the work of backup --jobs {jobs} spread over {Environment.ProcessorCount} cores / backup --jobs 1's wall: " +
                          $"{Floor(cpu[Backup(jobs)]) / backups[0].Median:0.00} (no schedule of that work gets below this)");
        Console.WriteLine();

        var m = 0;
        // The target's password comes from PGPASSWORD, not the command line.
        Task Restore(string label, string repository, int j)
        {
            var restoreEnv = ProgramEnvironment(repository, url, work);
            restoreEnv["PGPASSWORD"] = env["PGPASSWORD"];
            return Timed(label, program, [.. prefix, "restore", "latest", "--target", db.Server.Url($"par_restore_{m++}"), "--create",
                "--no-analyze", "--jobs", $"{j}"], restoreEnv);
        }
        var restoreSingle = "bulwark restore (single archive, one job)";
        var restoreParallel = $"bulwark restore --jobs {jobs} (parallel snapshot)";
        var restoreStock = $"CREATE DATABASE, pg_restore -j {jobs} of the -Fd -Z0 folder";
        var restores = await Measure.CompareAsync(rounds,
            (restoreSingle, () => Restore(restoreSingle, single!, 1)),
            (restoreParallel, () => Restore(restoreParallel, parallel!, jobs)),
            (restoreStock, () =>
            {
                // Creating the database is timed on both sides, as 'restore --create' does it (0.2-0.3 s here).
                var name = $"par_restore_{m++}";
                return Timed(restoreStock, "bash", ["-c", $"psql -X -q -d postgres -c 'CREATE DATABASE {name}' && '{pgRestore}' --exit-on-error -j{jobs} -d {name} '{folder}'"],
                    db.Server.Settings(name).ToEnvironment());
            }));
        Measure.Print("Restore of the four tables into a new database (no ANALYZE)", restores, restoreSingle);
        PrintCpu(cpu, restoreSingle, restoreParallel, restoreStock);
        Console.WriteLine($"restore --jobs {jobs} / one job: {restores[1].Median / restores[0].Median:0.00} (target: at most 0.75); " +
                          $"/ pg_restore -j {jobs}: {restores[1].Median / restores[2].Median:0.00} (target: at most 1.0)");
        Console.WriteLine($"the work of restore --jobs {jobs} spread over {Environment.ProcessorCount} cores / the one-job restore's wall: " +
                          $"{Floor(cpu[restoreParallel]) / restores[0].Median:0.00}");
        Console.WriteLine();
        for (var i = 0; i < m; i++)
            await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"DROP DATABASE IF EXISTS par_restore_{i}");

        async Task Timed(string name, string file, string[] arguments, IReadOnlyDictionary<string, string?> environment)
        {
            var before = ServerCpu.Seconds(db.Server);
            var timed = await BudgetBenchmark.TimeAsync(file, arguments, environment);
            var server = ServerCpu.Seconds(db.Server) - before;
            if (!cpu.TryGetValue(name, out var list))
                cpu[name] = list = [];
            list.Add(new Cpu(timed.Cpu, server, timed.Wall));
        }
    }

    /// <summary>The median over rounds of a contender's total CPU spread over the cores.</summary>
    private static double Floor(List<Cpu> rounds) =>
        rounds.Select(c => c.Total / Environment.ProcessorCount).Order().ElementAt(rounds.Count / 2);

    private sealed record Cpu(double Program, double Server, double Wall)
    {
        public double Total => Program + Server;
    }

    /// <summary>
    /// The median round's CPU of each contender: its own with its children (pg_dump, pg_restore) and the server's. Their
    /// sum over the machine's cores is the shortest wall time that work could take here.
    /// </summary>
    private static void PrintCpu(Dictionary<string, List<Cpu>> cpu, params string[] names)
    {
        var cores = Environment.ProcessorCount;
        Console.WriteLine($"CPU s of the median round (the contender with its children: pg_dump, pg_restore; the server's processes), and that work spread over {cores} cores:");
        Console.WriteLine("| contender | wall s | program CPU s | server CPU s | total CPU s | total / cores, s | wall / that |");
        Console.WriteLine("|---|---|---|---|---|---|---|");
        foreach (var name in names)
        {
            var median = cpu[name].OrderBy(c => c.Wall).ElementAt(cpu[name].Count / 2);
            Console.WriteLine($"| {name} | {median.Wall:0.00} | {median.Program:0.00} | {median.Server:0.00} | {median.Total:0.00} | " +
                              $"{median.Total / cores:0.00} | {median.Wall / (median.Total / cores):0.00} |");
        }
    }

    private static Dictionary<string, string?> ProgramEnvironment(string repository, string url, string work) => new()
    {
        ["BULWARK_REPOSITORY"] = repository,
        ["BULWARK_STATE"] = repository + "-state",
        ["BULWARK_POSTGRES_URL"] = url,
        ["BULWARK_CONFIG"] = null,
        ["HOME"] = work,
    };

    /// <summary>Four tables of equal size, each with a primary key and a second index, about size × 12 MB each.</summary>
    private static async Task<string> FourTablesAsync(BenchDatabase db, int size)
    {
        const string name = "four";
        var watch = Stopwatch.StartNew();
        await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"CREATE DATABASE {name}");
        var rows = size * 60_000;
        var sql = string.Concat(Enumerable.Range(1, 4).Select(i => $"""
            CREATE TABLE t{i} AS
            SELECT g AS id, md5((g * {i})::text) AS reference, (g % 100000) AS customer, round((random() * 1000)::numeric, 2) AS amount,
                   timestamptz '2026-01-01' + g * interval '17 seconds' AS placed_at,
                   'row ' || g || ': ' || md5((g * 31 + {i})::text) || ' ' || md5((g * 17 + {i})::text) AS note,
                   jsonb_build_object('channel', (ARRAY['web','app','store'])[1 + g % 3], 'coupon', md5((g * 7 + {i})::text)) AS details
            FROM generate_series(1, {rows}) g;
            ALTER TABLE t{i} ADD PRIMARY KEY (id);
            CREATE INDEX ON t{i} (customer, placed_at);
            """));
        await BenchDatabase.Run("psql", db.Server, name, "-q", "-c", sql);
        await BenchDatabase.Run("psql", db.Server, name, "-q", "-c", "VACUUM ANALYZE");
        Console.Error.WriteLine($"# four tables of {rows} rows: {watch.Elapsed.TotalSeconds:0.0} s");
        return name;
    }

    private static async Task<string> SizeAsync(BenchDatabase db, string database)
    {
        await using var connection = new Npgsql.NpgsqlConnection(db.Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("SELECT pg_size_pretty(pg_database_size(current_database()))", connection);
        return $"{await command.ExecuteScalarAsync()} database";
    }

    private static BulwarkContext Context(string repository, string url) =>
        new(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = repository + "-state",
            Postgres = new PostgresConfig { Url = url },
        }, Path.GetDirectoryName(repository)!, _ => null));
}
