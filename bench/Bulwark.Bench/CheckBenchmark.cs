using System.Globalization;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Health;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;

namespace Bulwark.Bench;

/// <summary>
/// 'bulwark check' on a repository of 100 daily snapshots, each listing the chunks of a database of
/// <c>--chunks</c> chunks (default 8000, a 2 GiB dump at the 256 KiB average chunk) of which 3 % change a day. The
/// target is under 0.5 s wall time for the whole program. Measured in the same run, alternating: the bare process
/// start (bulwark --version), 'bulwark list' (reads all 100 manifests), check with its snapshot cache warm (the usual
/// case: monitoring runs it every few minutes), check with the cache removed before each run (the first run, or a
/// lost cache), and the health check in-process (the library, without process start).
/// </summary>
public static class CheckBenchmark
{
    private const int Snapshots = 100;

    /// <param name="published">A published bulwark (e.g. the single-file ReadyToRun build of the README) to measure too.</param>
    public static async Task RunAsync(string work, int chunksPerSnapshot, int rounds, string? published)
    {
        var root = Path.Combine(work, "check");
        Directory.CreateDirectory(root);
        var repository = Path.Combine(root, "repo");
        var (chunkFiles, references) = await GenerateAsync(repository, chunksPerSnapshot);
        var config = Path.Combine(root, "bulwark.yml");
        await File.WriteAllTextAsync(config, "repository: ./repo\nstate: ./state\ncheck:\n  disk-free-warning: 1%\n  disk-free-critical: 1%\n");
        // check warns (exit 1) about a configuration others may read.
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cache = Path.Combine(root, "state", "cache");
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        var environment = new Dictionary<string, string?> { ["BULWARK_CONFIG"] = config, ["HOME"] = root };
        Task Run(params string[] arguments) => Measure.RunProcessAsync(program, [.. prefix, .. arguments], environment);

        var context = new BulwarkContext(ConfigLoader.Load(config, root, Environment.GetEnvironmentVariable));
        // Warm-up: JIT of the bench process, file system caches, and a first check that fills the snapshot cache.
        await Run("--version");
        await Run("check");
        var report = await new HealthCheckOperation(context).RunAsync(null, CancellationToken.None);
        if (report.Status != HealthStatus.Ok)
            throw new InvalidOperationException($"the benchmark repository is not healthy: {report.ToNagios()}");

        Console.WriteLine($"## bulwark check: {Snapshots} snapshots, {chunksPerSnapshot} chunks each ({references} references, {chunkFiles} chunk files), local repository");
        var contenders = new List<(string, Func<Task>)>
        {
            ("bulwark --version", () => Run("--version")),
            ("bulwark list", () => Run("list")),
            ("bulwark check (cache warm)", () => Run("check")),
            ("bulwark check (no cache)", () =>
            {
                if (Directory.Exists(cache))
                    Directory.Delete(cache, recursive: true);
                return Run("check");
            }),
            ("check in-process (library)", () => new HealthCheckOperation(context).RunAsync(null, CancellationToken.None)),
        };
        if (published is not null)
        {
            contenders.Add(("published --version", () => Measure.RunProcessAsync(published, ["--version"], environment)));
            contenders.Add(("published check (cache warm)", () => Measure.RunProcessAsync(published, ["check"], environment)));
        }
        var samples = await Measure.CompareAsync(rounds, [.. contenders]);
        Measure.Print("bulwark check", samples, "bulwark --version");
        var warm = samples.Single(s => s.Name == "bulwark check (cache warm)").Median;
        var list = samples.Single(s => s.Name == "bulwark list").Median;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check (cache warm) median {warm:0.000} s: {(warm < 0.5 ? "under" : "OVER")} the 0.5 s target; {warm / list:0.00} of 'bulwark list'"));
        if (published is not null)
        {
            var fast = samples.Single(s => s.Name == "published check (cache warm)").Median;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"published check (cache warm) median {fast:0.000} s: {(fast < 0.5 ? "under" : "OVER")} the 0.5 s target; {fast / list:0.00} of 'bulwark list'"));
        }
        Console.WriteLine();
    }

    /// <summary>Writes the repository; returns the number of chunk files and of references.</summary>
    internal static async Task<(int Chunks, long References)> GenerateAsync(string root, int window)
    {
        await using var repository = await BackupRepository.InitAsync(new LocalBackend(root), new RepositoryOpenOptions());
        var turnover = Math.Max(1, window * 3 / 100);
        var chunks = window + (Snapshots - 1) * turnover;
        var ids = await SyntheticChunks.WriteAsync(repository, root, chunks);
        var newest = DateTimeOffset.UtcNow.AddHours(-1);
        long references = 0;
        for (var i = 0; i < Snapshots; i++)
        {
            var refs = ids.AsSpan(i * turnover, window).ToArray();
            references += refs.Length;
            var time = newest.AddDays(i - Snapshots + 1);
            await repository.CommitSnapshotAsync(new SnapshotManifest
            {
                Time = time,
                EndTime = time.AddMinutes(3),
                Host = "bench",
                Source = new SourceInfo { Kind = "postgresql", Database = "bench" },
                Streams = [new StreamEntry { Name = "database.dump", Kind = "pg_dump", Size = refs.Length * 64L, Sha256 = new string('0', 64), Chunks = refs }],
            }, CancellationToken.None);
        }
        return (chunks, references);
    }
}
