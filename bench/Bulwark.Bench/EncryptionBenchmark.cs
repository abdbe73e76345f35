using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;

namespace Bulwark.Bench;

/// <summary>
/// What encryption costs a backup: the same database backed up into a plain and into an encrypted repository in the
/// same run, the order alternating from round to round (on a shared machine whichever runs second in a round is
/// systematically favoured or penalised otherwise). Repositories are created before the clock starts; opening them
/// (for the encrypted one, unlocking the key with Argon2id) is part of the backup, as it is for 'bulwark backup'.
/// Wall time is the target; this process's CPU time (pg_dump's excluded, it is the same for both) is printed too,
/// being less disturbed by other work on the machine.
/// </summary>
public static class EncryptionBenchmark
{
    private const string Passphrase = "benchmark passphrase";
    private const string Plain = "plain repository";
    private const string Encrypted = "encrypted repository (AES-256-GCM, HMAC-SHA-256 ids)";

    public static async Task RunAsync(BenchDatabase db, string work, int rounds)
    {
        var (plain, encrypted) = await InitPairsAsync(db, Path.Combine(work, "enc"), rounds);
        // Warm-up (JIT, caches), not counted.
        await BackupAsync(await InitAsync(db, Path.Combine(work, "enc-warm-p"), false));
        await BackupAsync(await InitAsync(db, Path.Combine(work, "enc-warm-e"), true));

        var first = await AlternateAsync(rounds, i => BackupAsync(plain[i]), i => BackupAsync(encrypted[i]));
        Print($"Encryption overhead, first backup of pgbench scale {db.Scale} (into an empty repository)", first);
        // The next day: unchanged data, so nothing new is stored; pg_dump, chunking and ids dominate.
        var next = await AlternateAsync(rounds, _ => BackupAsync(plain[0]), _ => BackupAsync(encrypted[0]));
        Print($"Encryption overhead, next-day backup of pgbench scale {db.Scale} (unchanged data)", next);

        // The benchmark database: pgbench plus a text/jsonb table, whose chunks compress less, so more bytes
        // are sealed.
        var (plainMixed, encryptedMixed) = await InitPairsAsync(await db.MixedAsync(), Path.Combine(work, "enc-mixed"), rounds);
        var firstMixed = await AlternateAsync(rounds, i => BackupAsync(plainMixed[i]), i => BackupAsync(encryptedMixed[i]));
        Print($"Encryption overhead, first backup of pgbench scale {db.Scale} plus a text/jsonb table (into an empty repository)", firstMixed);

        var unlock = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await using (await encrypted[0].OpenRepositoryAsync(CancellationToken.None))
                unlock.Add(watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine($"Unlocking the key alone (Argon2id, 64 MiB, 3 passes), once per command: median {Median(unlock):0.000} s");
        Console.WriteLine();
    }

    private static async Task<(Measure.Sample Wall, Measure.Sample Cpu)[]> AlternateAsync(int rounds,
        Func<int, Task> plain, Func<int, Task> encrypted)
    {
        var wall = new[] { new List<double>(), new List<double>() };
        var cpu = new[] { new List<double>(), new List<double>() };
        var contenders = new[] { plain, encrypted };
        for (var round = 0; round < rounds; round++)
        {
            foreach (var which in round % 2 == 0 ? new[] { 0, 1 } : [1, 0])
            {
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                await contenders[which](round);
                wall[which].Add(watch.Elapsed.TotalSeconds);
                cpu[which].Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds);
            }
        }
        return
        [
            (new Measure.Sample(Plain, wall[0], 0), new Measure.Sample(Plain, cpu[0], 0)),
            (new Measure.Sample(Encrypted, wall[1], 0), new Measure.Sample(Encrypted, cpu[1], 0)),
        ];
    }

    private static void Print(string title, (Measure.Sample Wall, Measure.Sample Cpu)[] samples)
    {
        Measure.Print(title + ": wall time", samples.Select(s => s.Wall).ToList(), Plain);
        Measure.Print(title + ": CPU time of bulwark", samples.Select(s => s.Cpu).ToList(), Plain);
        var overhead = samples[1].Wall.Median / samples[0].Wall.Median - 1;
        // Each round runs both back to back, so the median of the per-round differences cancels slow drifts in the
        // load of a shared machine better than the difference of the medians.
        var paired = Median(samples[0].Wall.Seconds.Zip(samples[1].Wall.Seconds, (p, e) => e - p).ToList());
        var pairedCpu = Median(samples[0].Cpu.Seconds.Zip(samples[1].Cpu.Seconds, (p, e) => e - p).ToList());
        Console.WriteLine($"Encryption overhead: {100 * overhead:0.0}% of backup wall time by medians; median per-round difference " +
                          $"{paired:+0.000;-0.000} s = {100 * paired / samples[0].Wall.Median:0.0}% (CPU {pairedCpu:+0.000;-0.000} s); target < 10%");
        Console.WriteLine();
    }

    /// <summary>One plain and one encrypted empty repository per round, created before the clock starts.</summary>
    private static async Task<(List<BulwarkContext> Plain, List<BulwarkContext> Encrypted)> InitPairsAsync(
        BenchDatabase db, string prefix, int rounds)
    {
        var plain = new List<BulwarkContext>();
        var encrypted = new List<BulwarkContext>();
        for (var i = 0; i < rounds; i++)
        {
            plain.Add(await InitAsync(db, $"{prefix}-plain-{i}", encrypt: false));
            encrypted.Add(await InitAsync(db, $"{prefix}-aes-{i}", encrypt: true));
        }
        return (plain, encrypted);
    }

    private static double Median(IReadOnlyList<double> values) => values.Order().ElementAt(values.Count / 2);

    private static Task BackupAsync(BulwarkContext context) =>
        new BackupOperation(context).RunAsync(new BackupRequest(), null, CancellationToken.None);

    private static async Task<BulwarkContext> InitAsync(BenchDatabase db, string repository, bool encrypt)
    {
        var context = new BulwarkContext(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = repository + "-state",
            Postgres = new PostgresConfig { Url = db.Url },
        }, Path.GetDirectoryName(repository)!, name => name == "BULWARK_PASSWORD" ? Passphrase : null));
        await new InitOperation(context).RunAsync(repository, Path.GetDirectoryName(repository)!,
            new InitOptions { Encrypt = encrypt }, CancellationToken.None);
        return context;
    }
}
