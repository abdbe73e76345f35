using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Restore;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// Backup and restore speed against the tools people use: pg_dump -Fc (zlib, the usual cron job), pg_dump -Fc -Z0 to
/// /dev/null (what the server can stream), and pg_restore of a -Fc file.
/// </summary>
public static class BackupBenchmark
{
    public static async Task RunAsync(BenchDatabase db, string work, int rounds)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var env = db.Settings.ToEnvironment();
        await FirstBackupAsync(db, work, rounds, $"pgbench scale {db.Scale}");
        await FirstBackupAsync(await db.MixedAsync(), work, rounds, $"pgbench scale {db.Scale} plus a text/jsonb table");

        // Daily backup: the repository already holds yesterday's snapshot.
        var daily = Context(db, Path.Combine(work, "repo-daily"));
        await Init(daily);
        await new BackupOperation(daily).RunAsync(new BackupRequest(), null, CancellationToken.None);
        BackupResult? last = null;
        var samples2 = await Measure.CompareAsync(rounds,
            ("pg_dump -Fc > file", () => Measure.RunProcessAsync(pgDump, ["-Fc"], env, Path.Combine(work, "plain.dump"))),
            ("bulwark backup (unchanged data, deduplicated)", async () => last = await new BackupOperation(daily).RunAsync(new BackupRequest(), null, CancellationToken.None)));
        Measure.Print($"Backup of pgbench scale {db.Scale} (next day)", samples2, "pg_dump -Fc > file");
        var stats = last!.Snapshot.Manifest.Statistics!;
        Console.WriteLine($"New data in an unchanged backup: {stats.NewBytes} of {stats.NewBytes + stats.ReusedBytes} bytes ({100.0 * stats.NewBytes / (stats.NewBytes + stats.ReusedBytes):0.000} %; {stats.NewChunks} new chunks: the archive header holds pg_dump's start time), {stats.StoredBytes} bytes stored");
        var repoSize = Directory.EnumerateFiles(Path.Combine(work, "repo-daily"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var dumpSize = new FileInfo(Path.Combine(work, "plain.dump")).Length;
        Console.WriteLine($"Storage: repository with {rounds + 1} snapshots = {repoSize / 1048576.0:0.0} MiB; one pg_dump -Fc file = {dumpSize / 1048576.0:0.0} MiB; ratio {repoSize / (double)dumpSize:0.00}");
        Console.WriteLine();

        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, CancellationToken.None);
        var m = 0;
        var samples3 = await Measure.CompareAsync(rounds,
            ("pg_restore -d of a -Fc file", async () =>
            {
                var name = $"r_plain_{m}";
                await BenchDatabase.Run("psql", db.Server, "postgres", "-q", "-c", $"CREATE DATABASE {name}");
                var target = db.Server.Settings(name).ToEnvironment();
                await Measure.RunProcessAsync(pgRestore, ["-d", name, Path.Combine(work, "plain.dump")], target);
            }),
            ("bulwark restore --create --no-analyze", async () =>
            {
                // pg_restore gathers no statistics, so neither does this side.
                var name = $"r_bulwark_{m++}";
                await new RestoreOperation(daily).RunAsync(new RestoreRequest
                {
                    Snapshot = "latest", Target = db.Server.Url(name, true), Create = true, Analyze = false,
                }, null, CancellationToken.None);
            }));
        Measure.Print($"Restore of pgbench scale {db.Scale}", samples3, "pg_restore -d of a -Fc file");
    }

    private static async Task FirstBackupAsync(BenchDatabase db, string work, int rounds, string title)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        var env = db.Settings.ToEnvironment();
        // Repositories are created before the clock starts: a daily backup does not create one.
        var inProcess = new List<BulwarkContext>();
        var programRepositories = new List<string>();
        for (var i = 0; i < rounds; i++)
        {
            inProcess.Add(Context(db, Path.Combine(work, $"repo-first-{db.Database}-{i}")));
            await Init(inProcess[i]);
            programRepositories.Add(Path.Combine(work, $"repo-program-{db.Database}-{i}"));
            await Init(Context(db, programRepositories[i]));
        }
        var n = 0;
        var p = 0;
        var samples = await Measure.CompareAsync(rounds,
            ("pg_dump -Fc > file", () => Measure.RunProcessAsync(pgDump, ["-Fc"], env, Path.Combine(work, $"{db.Database}.dump"))),
            ("pg_dump -Fc -Z0 > /dev/null", () => Measure.RunProcessAsync(pgDump, ["-Fc", "-Z0"], env)),
            ("bulwark backup (first, into an empty repository; in-process, warm)",
                () => new BackupOperation(inProcess[n++]).RunAsync(new BackupRequest(), null, CancellationToken.None)),
            ("bulwark backup (the same, as the program a schedule runs)",
                () => Measure.RunProcessAsync(program, [.. prefix, "backup"], ProgramEnvironment(db, programRepositories[p++], work))));
        Measure.Print($"Backup of {title} (first backup)", samples, "pg_dump -Fc > file");
        var dumpSize = new FileInfo(Path.Combine(work, $"{db.Database}.dump")).Length;
        var repoSize = Directory.EnumerateFiles(Path.Combine(work, $"repo-first-{db.Database}-0"), "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"Size: pg_dump -Fc file {dumpSize / 1048576.0:0.0} MiB; bulwark repository after one backup {repoSize / 1048576.0:0.0} MiB");
        await PeakMemoryAsync(db, work, program, prefix);
        Console.WriteLine();
    }

    /// <summary>The 'bulwark backup' program's peak memory (pg_dump, its child, not counted).</summary>
    private static async Task PeakMemoryAsync(BenchDatabase db, string work, string program, string[] prefix)
    {
        var repository = Path.Combine(work, $"repo-memory-{db.Database}");
        await Init(Context(db, repository));
        var peak = await Measure.PeakMemoryAsync(program, [.. prefix, "backup"], ProgramEnvironment(db, repository, work));
        var dump = new FileInfo(Path.Combine(work, $"{db.Database}.dump")).Length;
        Console.WriteLine($"Memory: bulwark backup process peak {peak / 1048576.0:0} MiB (VmHWM; the -Fc dump of this database is {dump / 1048576.0:0.0} MiB)");
    }

    /// <summary>The environment of a 'bulwark' process backing up <paramref name="db"/> into <paramref name="repository"/>.</summary>
    public static Dictionary<string, string?> ProgramEnvironment(BenchDatabase db, string repository, string work) => new()
    {
        ["BULWARK_REPOSITORY"] = repository,
        ["BULWARK_STATE"] = repository + "-state",
        ["BULWARK_POSTGRES_URL"] = db.Url,
        ["BULWARK_CONFIG"] = null,
        ["HOME"] = work,
    };

    public static BulwarkContext Context(BenchDatabase db, string repository) =>
        new(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = repository + "-state",
            Postgres = new PostgresConfig { Url = db.Url },
        }, Path.GetDirectoryName(repository)!, _ => null));

    public static Task Init(BulwarkContext context) =>
        new Bulwark.Operations.Repositories.InitOperation(context).RunAsync(context.Settings.Repository, Path.GetDirectoryName(context.Settings.Repository!)!, CancellationToken.None);
}
