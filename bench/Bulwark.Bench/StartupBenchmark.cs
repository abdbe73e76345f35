using System.Globalization;

namespace Bulwark.Bench;

/// <summary>
/// Process start-up and the short commands (issue 17's targets: start-up ≤ 30 ms, check and list ≤ 0.1 s on 100
/// snapshots, check ≤ 40 MB). In one run, alternating: 'true' (the floor of starting any process), the checkout's
/// bulwark (native where ./bulwark built it so) and a ReadyToRun build of the same sources, each with --version and
/// --help; then list and check (cache warm) of both on a repository of 100 snapshots, and their peak memory.
/// </summary>
public static class StartupBenchmark
{
    /// <param name="compareReadyToRun">Also measure a ReadyToRun build (published here unless <paramref name="readyToRun"/> names one).</param>
    public static async Task RunAsync(string work, int chunksPerSnapshot, int rounds, string? readyToRun, bool compareReadyToRun)
    {
        var root = Path.Combine(work, "startup");
        Directory.CreateDirectory(root);
        var (program, prefix) = await CheckoutProgram.BuildAsync();
        var native = CheckoutProgram.IsNative(prefix);
        if (compareReadyToRun)
            readyToRun ??= await PublishReadyToRunAsync(Path.Combine(work, "r2r"));
        else
            readyToRun = null;
        var repository = Path.Combine(root, "repo");
        await CheckBenchmark.GenerateAsync(repository, chunksPerSnapshot);
        var config = Path.Combine(root, "bulwark.yml");
        await File.WriteAllTextAsync(config, "repository: ./repo\nstate: ./state\ncheck:\n  disk-free-warning: 1%\n  disk-free-critical: 1%\n");
        // check warns (exit 1) about a configuration others may read.
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var environment = new Dictionary<string, string?> { ["BULWARK_CONFIG"] = config, ["HOME"] = root };
        var name = native ? "native" : "checkout";
        Task Checkout(params string[] arguments) => Measure.RunProcessAsync(program, [.. prefix, .. arguments], environment);
        Task R2R(params string[] arguments) => Measure.RunProcessAsync("dotnet", [readyToRun!, .. arguments], environment);

        // Warm-up: file system caches, and a first check of each that fills the snapshot cache.
        await Checkout("check");
        if (readyToRun is not null)
            await R2R("check");
        var contenders = new List<(string, Func<Task>)> { ("true", () => Measure.RunProcessAsync("true", [])) };
        foreach (var command in new[] { "--version", "--help", "list", "check" })
        {
            contenders.Add(($"{name} {command}", () => Checkout(command)));
            if (readyToRun is not null)
                contenders.Add(($"ReadyToRun {command}", () => R2R(command)));
        }
        var samples = await Measure.CompareAsync(rounds, contenders.ToArray());
        Console.WriteLine($"## start-up and short commands: 100 snapshots of {chunksPerSnapshot} chunks, local repository, {rounds} rounds");
        Measure.Print("start-up", samples, "true");
        double Median(string contender) => samples.Single(s => s.Name == contender).Median;
        var start = Median($"{name} --version") - Median("true");
        var faster = readyToRun is null ? "" : string.Create(CultureInfo.InvariantCulture,
            $"; {Median("ReadyToRun --version") / Median($"{name} --version"):0.0}× faster than ReadyToRun");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"start-up ({name} --version less 'true'): {start * 1000:0.0} ms ({(start <= 0.030 ? "within" : "OVER")} 30 ms){faster}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name} list {Median($"{name} list"):0.000} s, check {Median($"{name} check"):0.000} s (target ≤ 0.1 s each)"));
        var peaks = new List<string>();
        var measured = new List<(string, string, string[])>
        {
            ($"{name} --version", program, prefix.Append("--version").ToArray()),
            ($"{name} check", program, prefix.Append("check").ToArray()),
            ($"{name} list", program, prefix.Append("list").ToArray()),
        };
        if (readyToRun is not null)
            measured.Add(("ReadyToRun check", "dotnet", [readyToRun, "check"]));
        foreach (var (label, file, arguments) in measured)
        {
            var kilobytes = await PeakKilobytesAsync(file, arguments, environment);
            peaks.Add(string.Create(CultureInfo.InvariantCulture, $"{label} {kilobytes / 1024.0:0.0} MB"));
        }
        Console.WriteLine($"peak memory (maximum resident set): {string.Join(", ", peaks)} (target: check ≤ 40 MB)");
        Console.WriteLine();
    }

    /// <summary>Publishes the ReadyToRun build of this checkout (what ./bulwark built before the native one).</summary>
    private static async Task<string> PublishReadyToRunAsync(string output)
    {
        var root = CheckoutProgram.Root();
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        await Measure.RunProcessAsync("dotnet", ["publish", Path.Combine(root, "src", "Bulwark.Cli", "Bulwark.Cli.csproj"), "-c", "Release",
            "-r", rid, "--self-contained", "false", "-p:PublishAot=false", "-p:PublishReadyToRun=true",
            "--artifacts-path", output + "-artifacts", "-o", output, "--nologo", "-v", "q"]);
        return Path.Combine(output, "bulwark.dll");
    }

    /// <summary>The maximum resident set of a run, from GNU time (exact, unlike sampling /proc of a 0.1 s process).</summary>
    private static async Task<long> PeakKilobytesAsync(string file, string[] arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var report = Path.GetTempFileName();
        try
        {
            await Measure.RunProcessAsync("/usr/bin/time", ["-f", "%M", "-o", report, file, .. arguments], environment);
            return long.Parse((await File.ReadAllTextAsync(report)).Trim().Split('\n')[^1], CultureInfo.InvariantCulture);
        }
        finally
        {
            File.Delete(report);
        }
    }
}
