using System.Globalization;
using Bulwark.Bench;

// Usage: dotnet run -c Release --project bench/Bulwark.Bench -- [benchmark ...] [--scale N] [--rounds N] [--program PATH]
// The benchmarks that run the bulwark program run the checkout's ('./bulwark' builds it: native where it can), or the
// native executable or bulwark.dll that --program names.
// Benchmarks: backup (default), encryption, files, cleanup (--chunks N: the largest repository, default 100000), check
// (100 snapshots; --binary PATH also times a published single-file binary), startup (process start-up of the checkout's
// bulwark against 'true' and a ReadyToRun build, list, check and their peak memory on 100 snapshots; --r2r PATH gives
// an already published ReadyToRun bulwark.dll, --no-r2r leaves it out; 10 rounds unless --rounds), dashboard (--requests N), drill
// (fingerprinting cost and restore drills; --jobs N adds a parallel drill), supabase (the supabase profile's backup
// against a plain one of the same Supabase-shaped project, then the restores; --scale 20 ≈ 200 MB of team rows), parallel (backup --jobs and restore --jobs on four large
// tables beside pg_dump -Fd -j and pg_restore -j; --jobs N, default 2; --size N, about N × 12 MB per table, default 20), scale (--scales 20,100,300:
// backup, restore, drill, check and peak memory at each scale beside the script and pg_restore), budget
// (the CPU seconds per GiB of dump of each stage of a backup, beside pg_dump's and zstd's own), pitr (WAL archiving
// under a pgbench load, base backups and a restore to the end of the archive beside pgBackRest; --scale defaults to 50,
// --seconds N is the load's length, default 120; --compression-level N sets bulwark's backup.compression-level; --binary PATH measures that bulwark executable). Each prints markdown tables of medians and
// ratios against peers measured in this run. --keep leaves the work folder (repositories, databases' files) behind.
var names = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _) && (i == 0 || (args[i - 1] != "--binary" && args[i - 1] != "--scales" && args[i - 1] != "--r2r" && args[i - 1] != "--program"))).ToList();
var scale = Option("--scale", 20);
var rounds = Option("--rounds", 3);
if (names.Count == 0)
    names.Add("backup");
CheckoutProgram.Override = Text("--program");

var work = Path.Combine(Path.GetTempPath(), $"bulwark-bench-{Guid.NewGuid():N}"[..28]);
Directory.CreateDirectory(work);
// The database is started only for the benchmarks that need one.
BenchDatabase? db = null;
async Task<BenchDatabase> Database() => db ??= await BenchDatabase.CreateAsync(scale, work);
try
{
    foreach (var name in names)
    {
        switch (name)
        {
            case "backup":
                await BackupBenchmark.RunAsync(await Database(), work, rounds);
                break;
            case "cleanup":
                await CleanupBenchmark.RunAsync(work, Option("--chunks", 100_000), rounds);
                break;
            case "drill":
                await DrillBenchmark.RunAsync(await Database(), work, rounds, Option("--jobs", 2));
                break;
            case "check":
                await CheckBenchmark.RunAsync(work, Option("--chunks", 8000), rounds, Text("--binary"));
                break;
            case "startup":
                await StartupBenchmark.RunAsync(work, Option("--chunks", 8000), Option("--rounds", 10), Text("--r2r"), !args.Contains("--no-r2r"));
                break;
            case "files":
                await FilesBenchmark.RunAsync(work, rounds);
                break;
            case "supabase":
                await SupabaseBenchmark.RunAsync(work, scale, rounds);
                break;
            case "parallel":
                await ParallelBenchmark.RunAsync(await Database(), work, rounds, Option("--jobs", 2), Option("--size", 20));
                break;
            case "budget":
                await BudgetBenchmark.RunAsync(await (await Database()).MixedAsync(), work);
                break;
            case "scale":
                var scales = (args.SkipWhile(a => a != "--scales").Skip(1).FirstOrDefault() ?? "20,100,300")
                    .Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToList();
                await ScaleBenchmark.RunAsync(scales, work, rounds);
                break;
            case "pitr":
                await PitrBenchmark.RunAsync(work, args.Contains("--scale") ? scale : 50, Option("--seconds", 120), Text("--binary"),
                    args.Contains("--compression-level") ? Option("--compression-level", 1) : null);
                break;
            case "dashboard":
                await DashboardBenchmark.RunAsync(work, Option("--requests", 200));
                break;
            case "encryption":
                await EncryptionBenchmark.RunAsync(await Database(), work, rounds);
                break;
            default:
                Console.Error.WriteLine($"unknown benchmark '{name}'");
                return 2;
        }
    }
}
finally
{
    if (db is not null)
        await db.DisposeAsync();
    if (args.Contains("--keep"))
        Console.WriteLine($"kept {work}");
    else
        Directory.Delete(work, recursive: true);
}
return 0;

string? Text(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? Path.GetFullPath(args[i + 1]) : null;
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
