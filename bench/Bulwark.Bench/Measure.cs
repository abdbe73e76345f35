using System.Diagnostics;

namespace Bulwark.Bench;

/// <summary>
/// Timing helpers. The machine is shared and noisy, so each measurement alternates the contenders over several rounds
/// and reports medians and the ratio of medians measured in the same run.
/// </summary>
public static class Measure
{
    public sealed record Sample(string Name, IReadOnlyList<double> Seconds, long PeakWorkingSetBytes)
    {
        public double Median => Seconds.Order().ElementAt(Seconds.Count / 2);
    }

    /// <summary>Runs every contender once per round, in turn, for <paramref name="rounds"/> rounds.</summary>
    public static async Task<IReadOnlyList<Sample>> CompareAsync(int rounds, params (string Name, Func<Task> Run)[] contenders)
    {
        var times = contenders.ToDictionary(c => c.Name, _ => new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, run) in contenders)
            {
                var watch = Stopwatch.StartNew();
                await run();
                times[name].Add(watch.Elapsed.TotalSeconds);
            }
        }
        return contenders.Select(c => new Sample(c.Name, times[c.Name], 0)).ToList();
    }

    public static void Print(string title, IReadOnlyList<Sample> samples, string baseline)
    {
        var reference = samples.Single(s => s.Name == baseline).Median;
        Console.WriteLine($"## {title}");
        Console.WriteLine($"| contender | median s | runs | ratio to {baseline} |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var s in samples)
            Console.WriteLine($"| {s.Name} | {s.Median:0.000} | {string.Join(" ", s.Seconds.Select(x => x.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} | {s.Median / reference:0.00} |");
        Console.WriteLine();
    }

    /// <summary>Runs a program and waits; returns its peak resident memory (from /proc when it can be read).</summary>
    public static async Task<long> RunProcessAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, string? stdoutPath = null)
    {
        using var p = Start(file, arguments, environment);
        var stderr = p.StandardError.ReadToEndAsync();
        Stream target = stdoutPath is null ? Stream.Null : File.Create(stdoutPath);
        await using (target)
            await p.StandardOutput.BaseStream.CopyToAsync(target);
        long peak = 0;
        try
        {
            peak = p.PeakWorkingSet64;
        }
        catch (InvalidOperationException)
        {
        }
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {await stderr}");
        return peak;
    }

    /// <summary>
    /// Runs a program and returns its peak resident memory (VmHWM, a high-water mark, read from /proc every 20 ms until
    /// it exits), without its child processes.
    /// </summary>
    public static async Task<long> PeakMemoryAsync(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        using var p = Start(file, arguments, environment);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        long peak = 0;
        var status = $"/proc/{p.Id}/status";
        while (!p.HasExited)
        {
            try
            {
                var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
                if (line is not null)
                    peak = Math.Max(peak, long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024);
            }
            catch (IOException)
            {
            }
            await Task.Delay(20);
        }
        await p.WaitForExitAsync();
        await stdout;
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {await stderr}");
        return peak;
    }

    private static Process Start(string file, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string?>())
        {
            if (v is null) info.Environment.Remove(k); else info.Environment[k] = v;
        }
        return Process.Start(info)!;
    }
}
