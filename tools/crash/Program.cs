using System.Globalization;
using Bulwark.Crash;
using Bulwark.Sources.Postgres;

// Crash tests: kill -9 at random moments during backup, cleanup, copy, ruleset activate and restore --files-to, and
// kill pg_dump under a backup, against a local folder and an S3 server (s3rver); check the invariants after each trial.
// Usage: tools/crash/run [--full] [--seed N] [--trials N] [--s3-trials N] [--op NAME]... [--backend local|s3]
//        [--data-mb N] [--bulwark PATH/bulwark.dll] [--keep]
// Operations (--op): backup, pg_dump, cleanup, copy, ruleset, restore. Exit 0 when every invariant held, 1 otherwise.
var arguments = args.ToList();
if (arguments.Contains("--help") || arguments.Contains("-h"))
{
    Console.WriteLine("""
        usage: tools/crash/run [--full] [--seed N] [--trials N] [--s3-trials N] [--op NAME]... [--backend local|s3]
                               [--data-mb N] [--bulwark PATH] [--keep]
          --full          the full run: 25 trials per operation on a local folder and 10 on S3 (210 in all), 24 MB of data
          --seed N        the seed of the kill moments (default: random; printed, so a run can be repeated)
          --trials N      trials per operation on a local folder (default 10); the first of each measures the duration
          --s3-trials N   trials per operation on S3 (default 3)
          --op NAME       only these operations: backup, pg_dump, cleanup, copy, ruleset, restore (repeatable)
          --backend B     only local or s3
          --data-mb N     about how much data each backup dumps and each restore writes (default 8)
          --bulwark PATH  the bulwark.dll to test (default: ./bulwark's build, .bulwark-build/cli/bulwark.dll)
          --keep          keep the work folder (repositories, configurations, logs of each scenario)
        exit 0 when every invariant held, 1 when one broke, 2 on a usage error
        """);
    return 0;
}
var full = arguments.Contains("--full");
int seed;
int localTrials;
int s3Trials;
int dataMegabytes;
List<string> operations;
List<BackendKind> backends;
string programPath;
try
{
    seed = Number("--seed") ?? Random.Shared.Next(1, 1_000_000);
    localTrials = Number("--trials") ?? (full ? 25 : 10);
    s3Trials = Number("--s3-trials") ?? (full ? 10 : 3);
    dataMegabytes = Number("--data-mb") ?? (full ? 24 : 8);
    operations = Values("--op").Select(o => CrashHarness.ShortNames.TryGetValue(o, out var name)
        ? name
        : throw new ArgumentException($"unknown operation '{o}': use {string.Join(", ", CrashHarness.ShortNames.Keys)}")).ToList();
    if (operations.Count == 0)
        operations = CrashHarness.Operations.ToList();
    backends = Values("--backend").Select(b => b switch
    {
        "local" => BackendKind.Local,
        "s3" => BackendKind.S3,
        _ => throw new ArgumentException($"unknown backend '{b}': use local or s3"),
    }).Distinct().ToList();
    if (backends.Count == 0)
        backends = [BackendKind.Local, BackendKind.S3];
    // By default the program as ./bulwark builds and runs it (tools/crash/run builds it first).
    programPath = Path.GetFullPath(Values("--bulwark").LastOrDefault() ?? Path.Combine(FindRepositoryRoot(), ".bulwark-build", "cli", "bulwark.dll"));
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

var root = FindRepositoryRoot();
if (!File.Exists(programPath))
{
    Console.Error.WriteLine($"error: {programPath} does not exist; run tools/crash/run (it builds it with ./bulwark), or pass --bulwark PATH");
    return 2;
}
var work = Path.Combine(Path.GetTempPath(), $"bulwark-crash-{Guid.NewGuid():N}"[..26]);
Directory.CreateDirectory(work);
Console.WriteLine($"seed {seed} (repeat with --seed {seed}); work folder {work}");
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};
LocalPostgresServer? postgres = null;
S3rverServer? s3 = null;
try
{
    postgres = await LocalPostgresServer.StartAsync(work, settings: new Dictionary<string, string> { ["max_connections"] = "100" },
        cancellationToken: cancel.Token);
    if (backends.Contains(BackendKind.S3))
        s3 = await S3rverServer.StartAsync(root, work, cancel.Token);
    var report = await CrashHarness.RunAsync(new CrashOptions
    {
        Seed = seed,
        WorkDirectory = Path.Combine(work, "trials"),
        Postgres = postgres,
        S3 = s3?.Target,
        ProgramPath = programPath,
        Operations = operations,
        Backends = backends,
        LocalTrials = localTrials,
        S3Trials = s3Trials,
        DataMegabytes = dataMegabytes,
        Log = Console.Out,
    }, cancel.Token);
    Console.WriteLine();
    Console.WriteLine($"{report.Trials} trials in {report.Elapsed.TotalMinutes:0.0} min, seed {seed}, {DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}:");
    Console.WriteLine();
    Console.Write(report.Table());
    if (report.Failures.Count > 0)
    {
        Console.WriteLine();
        Console.WriteLine($"{report.Failures.Count} broken invariant(s):");
        foreach (var failure in report.Failures)
            Console.WriteLine("  " + failure);
    }
    return report.Ok ? 0 : 1;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
finally
{
    if (s3 is not null)
        await s3.DisposeAsync();
    if (postgres is not null)
        await postgres.DisposeAsync();
    if (arguments.Contains("--keep"))
        Console.WriteLine($"kept {work}");
    else
        TryDelete(work);
}

int? Number(string name) => Values(name).LastOrDefault() is { } text ? int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) : null;

IEnumerable<string> Values(string name)
{
    for (var i = 0; i < arguments.Count; i++)
    {
        if (arguments[i] != name)
            continue;
        if (i + 1 >= arguments.Count)
            throw new ArgumentException($"{name} needs a value");
        yield return arguments[i + 1];
    }
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Bulwark.slnx")))
            return dir.FullName;
    }
    return Directory.GetCurrentDirectory();
}

static void TryDelete(string path)
{
    try
    {
        Directory.Delete(path, recursive: true);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"warning: cannot remove {path}: {e.Message}");
    }
}
