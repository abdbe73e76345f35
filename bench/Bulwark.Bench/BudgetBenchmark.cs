using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Bulwark.Repository.Chunking;
using Bulwark.Repository.Format;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Processes;
using Bulwark.Storage.Local;
using ZstdNet;

namespace Bulwark.Bench;

/// <summary>
/// The CPU budget of a backup, stage by stage: each stage of the backup path run alone, on one thread, over the same
/// pg_dump -Fc -Z0 archive (the first 'rounds' passes warm up, the last is timed), in CPU seconds per GiB of dump;
/// beside the floor's own CPU (pg_dump -Fc -Z0 > /dev/null, zstd -3 of the same archive) and the whole 'bulwark backup'
/// program's, measured with /usr/bin/time.
/// </summary>
public static class BudgetBenchmark
{
    public static async Task RunAsync(BenchDatabase db, string work)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        var env = db.Settings.ToEnvironment();
        var file = Path.Combine(work, $"budget-{db.Database}.dump");
        await Measure.RunProcessAsync(pgDump, ["-Fc", "-Z0"], env, file);
        var dump = await File.ReadAllBytesAsync(file);
        var gib = dump.Length / 1073741824.0;
        Console.WriteLine($"## CPU budget of a backup of {db.Database} (pgbench scale {db.Scale}; {dump.Length / 1048576.0:0} MiB -Z0 dump)");
        Console.WriteLine("| stage | CPU s per GiB | MiB/s on one core | note |");
        Console.WriteLine("|---|---|---|---|");
        void Row(string stage, TimeSpan cpu, string note = "") =>
            Console.WriteLine($"| {stage} | {cpu.TotalSeconds / gib:0.00} | {dump.Length / 1048576.0 / Math.Max(cpu.TotalSeconds, 1e-6):0} | {note} |");

        // Pipe reads: 'cat' writes the archive into a pipe that the backup's reader drains (cat's own CPU not counted).
        var pipe = await CpuAsync(async () =>
        {
            await using var cat = ProcessRunner.Start("cat", [file], null, redirectInput: false, redirectOutput: true, CancellationToken.None);
            var stream = BatchingPipeStream.Wrap(cat.StandardOutput);
            var buffer = new byte[2 * 1024 * 1024];
            while (await stream.ReadAsync(buffer) > 0)
            {
            }
            await cat.WaitAsync();
        });
        Row("pipe reads (1 MiB pipe, 256 KiB batches)", pipe);

        var cdc = new FastCdc(ChunkerParameters.Default);
        var cuts = new List<(int Offset, int Length)>();
        var chunking = Cpu(() =>
        {
            cuts.Clear();
            var offset = 0;
            while (offset < dump.Length)
            {
                var cut = cdc.NextCut(dump.AsSpan(offset, Math.Min(dump.Length - offset, 2 * ChunkerParameters.Default.MaxSize)));
                cuts.Add((offset, cut));
                offset += cut;
            }
        });
        Row("chunking (FastCDC)", chunking, $"{cuts.Count} chunks, {dump.Length / (double)cuts.Count / 1024:0} KiB average");

        var parsing = Cpu(() =>
        {
            var observer = new FingerprintObserver();
            foreach (var (offset, length) in cuts)
                observer.Observe(dump.AsSpan(offset, length));
            observer.Complete();
        });
        Row("archive parsing and fingerprints", parsing);

        var copies = Cpu(() =>
        {
            foreach (var (offset, length) in cuts)
            {
                var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length);
                dump.AsSpan(offset, length).CopyTo(rented);
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        });
        Row("one copy of every chunk (pooled buffer)", copies);

        var streamHash = Cpu(() =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            foreach (var (offset, length) in cuts)
                hash.AppendData(dump.AsSpan(offset, length));
            hash.GetHashAndReset();
        });
        Row("SHA-256 of the whole stream", streamHash, Sha256Note());
        var ids = Cpu(() =>
        {
            foreach (var (offset, length) in cuts)
                SHA256.HashData(dump.AsSpan(offset, length));
        });
        Row("SHA-256 of each chunk (its id)", ids);

        var packed = new List<byte[]>();
        foreach (var level in new[] { -5, -1, 1, 2, 3 })
        {
            long stored = 0;
            var output = new byte[Compressor.GetCompressBound(ChunkerParameters.Default.MaxSize)];
            using var compressor = new Compressor(new CompressionOptions(level));
            var cpu = Cpu(() =>
            {
                stored = 0;
                foreach (var (offset, length) in cuts)
                    stored += compressor.Wrap(dump.AsSpan(offset, length), output);
            });
            Row($"zstd level {level} (per chunk)", cpu, $"stored {100.0 * stored / dump.Length:0.0} % of the dump");
        }

        // What compressing incompressible data costs (zstd gives up on such blocks early).
        var noise = new byte[64 * 1024 * 1024];
        Random.Shared.NextBytes(noise);
        using (var compressor = new Compressor(new CompressionOptions(1)))
        {
            var output = new byte[Compressor.GetCompressBound(256 * 1024)];
            var cpu = Cpu(() =>
            {
                for (var offset = 0; offset < noise.Length; offset += 256 * 1024)
                    compressor.Wrap(noise.AsSpan(offset, 256 * 1024), output);
            });
            Console.WriteLine($"| zstd level 1 on random bytes (256 KiB chunks) | {cpu.TotalSeconds / (noise.Length / 1073741824.0):0.00} | {noise.Length / 1048576.0 / Math.Max(cpu.TotalSeconds, 1e-6):0} | incompressible data |");
        }

        var codec = new ObjectCodec(PlainCipher.Instance, 1);
        foreach (var (offset, length) in cuts)
            packed.Add(codec.Pack(dump.AsSpan(offset, length)));
        var folder = Path.Combine(work, "budget-writes");
        Directory.CreateDirectory(folder);
        var n = 0;
        var writes = await CpuAsync(async () =>
        {
            foreach (var p in packed)
            {
                await using var f = new FileStream(Path.Combine(folder, $"{n++}"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 0);
                await f.WriteAsync(p);
            }
        }, warmups: 0);
        Row("writes (one file per chunk, no fsync)", writes);
        var backend = new LocalBackend(Path.Combine(work, "budget-repo"));
        await backend.CreateAsync(CancellationToken.None);
        var watch = Stopwatch.StartNew();
        var puts = await CpuAsync(async () =>
        {
            foreach (var p in packed)
                await backend.PutAsync($"chunks/{n++:x8}", p, CancellationToken.None);
        }, warmups: 0);
        Row("writes with fsyncs (the local backend's atomic put)", puts, $"{watch.Elapsed.TotalSeconds:0.0} s wall for {packed.Count} puts on one thread");
        Console.WriteLine();

        Console.WriteLine("## Whole programs (CPU of user + system, /usr/bin/time)");
        Console.WriteLine("| program | wall s | CPU s | CPU s per GiB | peak RSS MiB |");
        Console.WriteLine("|---|---|---|---|---|");
        void Program(string name, Timed t) =>
            Console.WriteLine($"| {name} | {t.Wall:0.00} | {t.Cpu:0.00} | {t.Cpu / gib:0.00} | {t.PeakKiB / 1024.0:0} |");
        var floor = await TimeAsync("bash", ["-c", $"'{pgDump}' -Fc -Z0 > /dev/null"], env);
        Program("pg_dump -Fc -Z0 > /dev/null", floor);
        Program("zstd -3 -T1 of the -Z0 file", await TimeAsync("zstd", ["-3", "-T1", "-q", "-f", "-o", "/dev/null", file], null));
        Program("zstd -1 -T1 of the -Z0 file", await TimeAsync("zstd", ["-1", "-T1", "-q", "-f", "-o", "/dev/null", file], null));
        Program("pg_dump -Fc -Z0 | zstd -3 > file", await TimeAsync("bash", ["-c", $"set -o pipefail; '{pgDump}' -Fc -Z0 | zstd -3 -q > '{file}.zst'"], env));
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        // The runtime's own settings, tried by environment: thread-pool spinning, the gen0 budget, tiered compilation.
        var variants = new (string Name, Dictionary<string, string?> Env)[]
        {
            ("bulwark backup (the program, pg_dump included)", []),
            ("the same, DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0", new() { ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0" }),
            ("the same, DOTNET_GCgen0size=0x400000 (4 MiB)", new() { ["DOTNET_GCgen0size"] = "0x400000" }),
            ("the same, DOTNET_TieredCompilation=0", new() { ["DOTNET_TieredCompilation"] = "0" }),
        };
        var v = 0;
        foreach (var (name, extra) in variants)
        {
            var repository = Path.Combine(work, $"budget-program-{db.Database}-{v++}");
            await BackupBenchmark.Init(BackupBenchmark.Context(db, repository));
            var programEnv = BackupBenchmark.ProgramEnvironment(db, repository, work);
            foreach (var (k, value) in extra)
                programEnv[k] = value;
            var backup = await TimeAsync(program, [.. prefix, "backup"], programEnv);
            Program(name, backup);
            if (v == 1)
                Console.WriteLine($"Bulwark's own CPU (the program's less pg_dump -Z0's): {(backup.Cpu - floor.Cpu) / gib:0.00} s per GiB of dump");
        }
        Console.WriteLine($"The program's start-up alone ('bulwark --version'): {(await TimeAsync(program, [.. prefix, "--version"], null)).Cpu:0.00} CPU s");
        Console.WriteLine();
        File.Delete(file);
        File.Delete(file + ".zst");
        Directory.Delete(folder, recursive: true);
    }

    public sealed record Timed(double Wall, double Cpu, long PeakKiB);

    /// <summary>Runs a program under /usr/bin/time: wall, user + system CPU of it and its children, largest RSS among them.</summary>
    public static async Task<Timed> TimeAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        var report = Path.GetTempFileName();
        try
        {
            await Measure.RunProcessAsync("/usr/bin/time", ["-f", "%e %U %S %M", "-o", report, file, .. arguments], environment);
            var parts = (await File.ReadAllLinesAsync(report)).Last(l => l.Length > 0).Split(' ');
            double D(int i) => double.Parse(parts[i], CultureInfo.InvariantCulture);
            return new Timed(D(0), D(1) + D(2), long.Parse(parts[3], CultureInfo.InvariantCulture));
        }
        finally
        {
            File.Delete(report);
        }
    }

    private static string Sha256Note() =>
        File.Exists("/proc/cpuinfo") && File.ReadAllText("/proc/cpuinfo").Contains(" sha_ni", StringComparison.Ordinal)
            ? "CPU has SHA extensions (sha_ni)" : "no SHA extensions";

    private static TimeSpan Cpu(Action stage, int warmups = 1)
    {
        for (var i = 0; i < warmups; i++)
            stage();
        GC.Collect();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        stage();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }

    private static async Task<TimeSpan> CpuAsync(Func<Task> stage, int warmups = 1)
    {
        for (var i = 0; i < warmups; i++)
            await stage();
        GC.Collect();
        var before = Process.GetCurrentProcess().TotalProcessorTime;
        await stage();
        return Process.GetCurrentProcess().TotalProcessorTime - before;
    }
}
