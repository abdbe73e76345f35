using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage.Local;

namespace Bulwark.Bench;

/// <summary>
/// 'bulwark daemon' serving the dashboard of 10 sources with 100 daily snapshots each (1,000 snapshots, a drill a
/// week per source, one failed): the time to serve / from the daemon's cached state (targets: 50 ms), the weight of
/// the page with its stylesheet and script (300 KB), and the daemon's resident memory, peak included (150 MB).
/// </summary>
public static class DashboardBenchmark
{
    private const int Sources = 10, PerSource = 100;

    public static async Task RunAsync(string work, int requests)
    {
        var root = Path.Combine(work, "dashboard");
        Directory.CreateDirectory(root);
        await GenerateAsync(Path.Combine(root, "repo"));

        // BULWARK_BENCH_DAEMON names a program to run instead of the checkout's (a native executable or a bulwark.dll).
        var (program, prefix) = Environment.GetEnvironmentVariable("BULWARK_BENCH_DAEMON") is { Length: > 0 } given
            ? given.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", new[] { Path.GetFullPath(given) }) : (Path.GetFullPath(given), [])
            : await CheckoutProgram.BuildAsync();
        var build = prefix.Length == 0 ? "native (NativeAOT)" : "JIT";
        // Runtime settings to try on the daemon, one after the other on the same repository, each with a cold cache:
        // BULWARK_BENCH_DAEMON_ENV="; DOTNET_GCgen0size=0x400000 MALLOC_ARENA_MAX=2" runs the daemon as it is, then with both.
        var variants = (Environment.GetEnvironmentVariable("BULWARK_BENCH_DAEMON_ENV") ?? "").Split(';').Select(v => v.Trim()).ToList();
        Console.WriteLine($"## dashboard: {Sources} sources x {PerSource} snapshots, local repository, daemon {build}; load {Load()}");
        var results = new List<(string Variant, long Rss, long Peak)>();
        for (var v = 0; v < variants.Count; v++)
        {
            var (rss, peak) = await RunDaemonAsync(root, v, variants[v], program, prefix, requests);
            results.Add((variants[v].Length == 0 ? "as built" : variants[v], rss, peak));
        }
        if (results.Count > 1)
        {
            Console.WriteLine("| daemon | resident at the end, MiB | peak, MiB | peak against the first |");
            Console.WriteLine("|---|---|---|---|");
            foreach (var (variant, rss, peak) in results)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {variant} | {rss / 1024.0:0.0} | {peak / 1024.0:0.0} | {peak / (double)results[0].Peak:0.00} |"));
            Console.WriteLine();
        }
    }

    private static async Task<(long Rss, long Peak)> RunDaemonAsync(string root, int index, string variant, string program, string[] prefix, int requests)
    {
        var port = FreePort();
        var yaml = new StringBuilder($"repository: ./repo\nstate: ./state{index}\ncheck:\n  disk-free-warning: off\n  disk-free-critical: off\n" +
                                     $"schedule:\n  backup: off\n  cleanup: off\n  drill: off\n  check: off\ndaemon:\n  listen: 127.0.0.1:{port}\nsources:\n");
        for (var s = 0; s < Sources; s++)
            yaml.Append(CultureInfo.InvariantCulture, $"  - name: db{s}\n    postgres:\n      url: postgres://bench@127.0.0.1:9/db{s}\n");
        var config = Path.Combine(root, $"bulwark{index}.yml");
        await File.WriteAllTextAsync(config, yaml.ToString());
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var info = new ProcessStartInfo(program) { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // --verbose: the daemon logs its GC settings at start and the runtime's memory numbers after each refresh.
        foreach (var argument in prefix.Append("--verbose").Append("daemon"))
            info.ArgumentList.Add(argument);
        info.Environment["BULWARK_CONFIG"] = config;
        foreach (var pair in variant.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            info.Environment[pair[..pair.IndexOf('=', StringComparison.Ordinal)]] = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
        var debug = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var daemon = Process.Start(info)!;
        daemon.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains("debug: ", StringComparison.Ordinal))
                debug.Enqueue(line[(line.IndexOf("debug: ", StringComparison.Ordinal) + 7)..]);
        };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            var started = Stopwatch.StartNew();
            string page;
            while (true)
            {
                try
                {
                    page = await http.GetStringAsync("/");
                    break;
                }
                catch (HttpRequestException) when (started.Elapsed < TimeSpan.FromMinutes(2) && !daemon.HasExited)
                {
                    await Task.Delay(100);
                }
            }
            var firstPage = started.Elapsed;
            var afterFirst = Breakdown(daemon.Id, program);
            var css = await http.GetByteArrayAsync("/dashboard.css");
            var js = await http.GetByteArrayAsync("/dashboard.js");
            var times = new List<double>(requests);
            for (var i = 0; i < requests; i++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync("/");
                await response.Content.ReadAsByteArrayAsync();
                times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            // A second refresh cycle (every 60 s) so that the peak includes one made while serving.
            await Task.Delay(TimeSpan.FromSeconds(65));
            for (var i = 0; i < 20; i++)
                await http.GetByteArrayAsync("/");
            var (rss, peak) = Memory(daemon.Id);
            var atEnd = Breakdown(daemon.Id, program);
            var bytes = Encoding.UTF8.GetByteCount(page);
            Console.WriteLine($"### daemon {(variant.Length == 0 ? "as built" : variant)}; load {Load()}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"first page after start {firstPage.TotalSeconds:0.0} s; / served {requests} times: median {times[times.Count / 2]:0.00} ms, " +
                $"p95 {times[(int)(times.Count * 0.95)]:0.00} ms, max {times[^1]:0.00} ms ({(times[(int)(times.Count * 0.95)] <= 50 ? "within" : "OVER")} 50 ms)"));
            var total = bytes + css.Length + js.Length;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"page {bytes / 1024.0:0.0} KiB + stylesheet {css.Length / 1024.0:0.0} KiB + script {js.Length / 1024.0:0.0} KiB = {total / 1024.0:0.0} KiB ({(total <= 300 * 1024 ? "within" : "OVER")} 300 KB)"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"daemon resident memory {rss / 1024.0:0.0} MiB, peak {peak / 1024.0:0.0} MiB ({(peak <= 150 * 1024 ? "within" : "OVER")} 150 MB)"));
            Console.WriteLine($"resident MiB by kind, after the first page: {afterFirst}");
            Console.WriteLine($"resident MiB by kind, at the end:           {atEnd}");
            foreach (var line in debug)
                Console.WriteLine($"daemon: {line}");
            Console.WriteLine();
            return (rss, peak);
        }
        finally
        {
            if (!daemon.HasExited)
            {
                Process.Start("kill", ["-TERM", daemon.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
                if (!daemon.WaitForExit(TimeSpan.FromSeconds(60)))
                    daemon.Kill(entireProcessTree: true);
            }
        }
    }

    private static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    /// <summary>VmRSS and VmHWM (peak) of a process, in KiB.</summary>
    private static (long Rss, long Peak) Memory(int pid)
    {
        long Read(string key) => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith(key, StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture)).Single();
        return (Read("VmRSS:"), Read("VmHWM:"));
    }

    /// <summary>
    /// Where a process's resident memory is, from /proc/PID/smaps: the program's own file, other files (libraries,
    /// ICU data), the GC heap (the runtime reserves it as one range of a GiB or more, committed in pieces that stay
    /// adjacent), and other anonymous memory (malloc arenas, stacks).
    /// </summary>
    private static string Breakdown(int pid, string program)
    {
        var maps = new List<(long Start, long End, string? Name, long Rss, string Mode)>();
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && !fields[0].EndsWith(':') && fields[0].Contains('-', StringComparison.Ordinal))
            {
                var range = fields[0].Split('-');
                maps.Add((long.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                    long.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture), fields.Length >= 6 ? fields[5] : null, 0, fields[1]));
            }
            else if (fields.Length >= 2 && fields[0] == "Rss:")
            {
                maps[^1] = maps[^1] with { Rss = long.Parse(fields[1], CultureInfo.InvariantCulture) };
            }
        }
        long programFile = 0, otherFiles = 0, gcHeap = 0, anonymous = 0;
        (int First, int Last, long Rss) largest = (0, -1, -1);
        var fullProgram = Path.IsPathRooted(program) ? Path.GetFullPath(program) : null;
        for (var i = 0; i < maps.Count;)
        {
            if (maps[i].Name is { } name && name.StartsWith('/'))
            {
                if (name == fullProgram)
                    programFile += maps[i].Rss;
                else
                    otherFiles += maps[i].Rss;
                i++;
                continue;
            }
            // A run of adjacent anonymous mappings.
            var j = i;
            long rss = maps[i].Rss;
            while (j + 1 < maps.Count && maps[j + 1].Start == maps[j].End && maps[j + 1].Name is null)
                rss += maps[++j].Rss;
            if (rss > largest.Rss)
                largest = (i, j, rss);
            if (maps[j].End - maps[i].Start >= 1L << 30)
                gcHeap += rss;
            else
                anonymous += rss;
            i = j + 1;
        }
        // The largest anonymous run in detail: its span, and its resident mappings (size, mode, resident), largest first.
        var pieces = maps.Skip(largest.First).Take(largest.Last - largest.First + 1).Where(m => m.Rss > 0).OrderByDescending(m => m.Rss).ToList();
        var detail = largest.Last < 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; largest anonymous run: {largest.Rss / 1024.0:0.0} resident of {(maps[largest.Last].End - maps[largest.First].Start) / 1048576.0:0} MiB " +
            $"in {largest.Last - largest.First + 1} mappings, {pieces.Count} resident: ") +
            string.Join(", ", pieces.Take(8).Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Rss / 1024.0:0.0} of {(m.End - m.Start) / 1048576.0:0.0} {m.Mode}"))) +
            (pieces.Count > 8 ? ", …" : "");
        return string.Create(CultureInfo.InvariantCulture,
            $"program {programFile / 1024.0:0.0}, other files {otherFiles / 1024.0:0.0}, GC heap {gcHeap / 1024.0:0.0}, other anonymous {anonymous / 1024.0:0.0}") + detail;
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private static async Task GenerateAsync(string root)
    {
        await using var repository = await BackupRepository.InitAsync(new LocalBackend(root), new RepositoryOpenOptions());
        var ids = await SyntheticChunks.WriteAsync(repository, root, 400);
        var newest = DateTimeOffset.UtcNow.AddHours(-1);
        for (var s = 0; s < Sources; s++)
        {
            for (var i = 0; i < PerSource; i++)
            {
                var time = newest.AddDays(i - PerSource + 1).AddMinutes(s * 5);
                var refs = ids.AsSpan((i + s) % 200, 150 + i / 2).ToArray();
                var snapshot = await repository.CommitSnapshotAsync(new SnapshotManifest
                {
                    Time = time,
                    EndTime = time.AddSeconds(60 + (i * 7 + s) % 120),
                    Host = "bench",
                    Source = new SourceInfo { Kind = "postgresql", Database = $"db{s}", Name = $"db{s}" },
                    Streams = [new StreamEntry { Name = "database.dump", Kind = "pg_dump", Size = refs.Sum(r => (long)r.Length), Sha256 = new string('0', 64), Chunks = refs }],
                    Statistics = new BackupStatistics { NewBytes = 1000L * (1 + (i + s) % 9), StoredBytes = 800L * (1 + (i + s) % 9) },
                }, CancellationToken.None);
                if (i % 7 == 3)
                    await repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
                    {
                        Snapshot = snapshot.Id.ToString(), Kind = ProofRecord.Drill, Passed = !(s == 0 && i == 94), Time = time.AddHours(2),
                        Summary = "bench", Details = new Dictionary<string, string> { ["restoreSeconds"] = (30 + i % 13).ToString(CultureInfo.InvariantCulture) },
                    }, CancellationToken.None);
            }
        }
    }
}
