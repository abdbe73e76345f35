using System.Diagnostics;
using System.Globalization;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Retention;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;

namespace Bulwark.Bench;

/// <summary>
/// Cleanup of a repository with 365 daily snapshots under the default policy (30 kept, 335 removed), at three
/// repository sizes, to show how its time grows with the number of chunks. Repositories are generated directly
/// (chunk files and manifests, no database): snapshot i references a window of W = N/4 chunks that moves by
/// (N - W)/364 a day, so N chunks in all, 365·N/4 references to mark, and about 69 % of the chunks are garbage.
/// </summary>
public static class CleanupBenchmark
{
    private const int Snapshots = 365;

    public static async Task RunAsync(string work, int largest, int rounds)
    {
        Console.WriteLine($"## Cleanup of {Snapshots} daily snapshots (default policy: 30 kept), local repository");
        Console.WriteLine("| chunks | references marked | chunks deleted | median s | runs | s per 100k chunks | median CPU s | CPU s per 100k chunks | peak working set MiB |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        // Warm-up (JIT, file system caches) on a small repository, not reported.
        var warm = Path.Combine(work, "cleanup-warm-up");
        await GenerateAsync(warm, 2000);
        await new CleanupOperation(Context(work, warm)).RunAsync(false, null, CancellationToken.None);
        Directory.Delete(warm, recursive: true);

        var perHundredK = new List<double>();
        var points = new List<(double Chunks, double Seconds)>();
        var cpuPoints = new List<(double Chunks, double Seconds)>();
        foreach (var chunks in new[] { largest / 4, largest / 2, largest })
        {
            var template = Path.Combine(work, $"cleanup-template-{chunks}");
            var references = await GenerateAsync(template, chunks);
            var times = new List<double>();
            var cpu = new List<double>();
            var deleted = 0;
            for (var round = 0; round < rounds; round++)
            {
                var copy = Path.Combine(work, $"cleanup-{chunks}-{round}");
                await Measure.RunProcessAsync("cp", ["-a", template, copy]);
                var context = Context(work, copy);
                GC.Collect();
                using var process = Process.GetCurrentProcess();
                var cpuBefore = process.TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                var result = await new CleanupOperation(context).RunAsync(false, null, CancellationToken.None);
                times.Add(watch.Elapsed.TotalSeconds);
                process.Refresh();
                cpu.Add((process.TotalProcessorTime - cpuBefore).TotalSeconds);
                deleted = result.Collection.ChunksDeleted;
                Directory.Delete(copy, recursive: true);
            }
            Directory.Delete(template, recursive: true);
            var sample = new Measure.Sample("cleanup", times, 0);
            var cpuMedian = new Measure.Sample("cpu", cpu, 0).Median;
            var rate = sample.Median / chunks * 100_000;
            perHundredK.Add(rate);
            points.Add((chunks, sample.Median));
            cpuPoints.Add((chunks, cpuMedian));
            using var self = Process.GetCurrentProcess();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {chunks} | {references} | {deleted} | {sample.Median:0.000} | {string.Join(" ", times.Select(t => t.ToString("0.00", CultureInfo.InvariantCulture)))} | {rate:0.00} | {cpuMedian:0.00} | {cpuMedian / chunks * 100_000:0.00} | {self.PeakWorkingSet64 / 1048576.0:0} |"));
        }
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Seconds per 100k chunks: {string.Join(", ", perHundredK.Select(r => r.ToString("0.00", CultureInfo.InvariantCulture)))} " +
            $"(largest / smallest = {perHundredK[^1] / perHundredK[0]:0.00}; 1.00 is exactly linear with no fixed cost)"));
        Fit("wall", points);
        Fit("CPU", cpuPoints);
        Console.WriteLine();
    }

    /// <summary>Least squares: seconds = fixed + slope · chunks.</summary>
    private static void Fit(string what, List<(double Chunks, double Seconds)> points)
    {
        var meanX = points.Average(p => p.Chunks);
        var meanY = points.Average(p => p.Seconds);
        var slope = points.Sum(p => (p.Chunks - meanX) * (p.Seconds - meanY)) / points.Sum(p => (p.Chunks - meanX) * (p.Chunks - meanX));
        var fixedCost = meanY - slope * meanX;
        var residual = points.Sum(p => Math.Pow(p.Seconds - (fixedCost + slope * p.Chunks), 2));
        var total = points.Sum(p => Math.Pow(p.Seconds - meanY, 2));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Linear fit ({what}): seconds = {fixedCost:0.00} + {slope * 100_000:0.00} per 100k chunks (R² = {1 - residual / total:0.000}); " +
            $"the fixed part is per cleanup ({Snapshots} manifests listed, {Snapshots - 30} removed)."));
    }

    private static BulwarkContext Context(string work, string repository)
    {
        var config = new BulwarkConfig
        {
            Repository = repository,
            State = Path.Combine(work, "state"),
            Cleanup = new CleanupConfig { GracePeriod = "1h", ClockSkew = "5min" },
        };
        return new BulwarkContext(LoadedConfig.FromObject(config, work, _ => null));
    }

    /// <summary>Writes the repository; returns the number of chunk references in its manifests.</summary>
    private static async Task<long> GenerateAsync(string root, int chunks)
    {
        await using var repository = await BackupRepository.InitAsync(new LocalBackend(root), new RepositoryOpenOptions());
        var window = chunks / 4;
        var step = (chunks - window) / (double)(Snapshots - 1);
        var ids = await SyntheticChunks.WriteAsync(repository, root, chunks, DateTime.UtcNow.AddHours(-3)); // older than the grace period
        var end = DateTimeOffset.UtcNow.AddHours(-1);
        long references = 0;
        for (var i = 0; i < Snapshots; i++)
        {
            var first = (int)Math.Round(i * step);
            var refs = ids.AsSpan(first, Math.Min(window, chunks - first)).ToArray();
            references += refs.Length;
            var time = end.AddDays(i - Snapshots + 1);
            await repository.CommitSnapshotAsync(new SnapshotManifest
            {
                Time = time,
                EndTime = time.AddMinutes(5),
                Host = "bench",
                Source = new SourceInfo { Kind = "postgresql", Database = "bench" },
                Streams = [new StreamEntry { Name = "database.dump", Kind = "pg_dump", Size = refs.Length * 64L, Sha256 = new string('0', 64), Chunks = refs }],
            }, CancellationToken.None);
        }
        return references;
    }
}
