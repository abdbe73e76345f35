using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;

namespace Bulwark.Bench;

/// <summary>
/// What encryption costs a backup: the same database backed up into a plain and into an encrypted repository, in
/// alternating rounds of the same run. Repositories are created before the clock starts; opening them (for the
/// encrypted one, unlocking the key with Argon2id) is part of the backup, as it is for 'bulwark backup'. The unlock
/// is also timed alone, to tell the fixed cost per command from the cost per byte.
/// </summary>
public static class EncryptionBenchmark
{
    private const string Passphrase = "benchmark passphrase";

    public static async Task RunAsync(BenchDatabase db, string work, int rounds)
    {
        var plain = new List<BulwarkContext>();
        var encrypted = new List<BulwarkContext>();
        for (var i = 0; i < rounds; i++)
        {
            plain.Add(await InitAsync(db, Path.Combine(work, $"enc-plain-{i}"), encrypt: false));
            encrypted.Add(await InitAsync(db, Path.Combine(work, $"enc-aes-{i}"), encrypt: true));
        }
        int p = 0, e = 0;
        var first = await Measure.CompareAsync(rounds,
            ("plain repository", () => new BackupOperation(plain[p++]).RunAsync(new BackupRequest(), null, CancellationToken.None)),
            ("encrypted repository (AES-256-GCM, HMAC ids)", () => new BackupOperation(encrypted[e++]).RunAsync(new BackupRequest(), null, CancellationToken.None)));
        Measure.Print($"Encryption overhead, first backup of pgbench scale {db.Scale}", first, "plain repository");

        // The next day: the data is unchanged, so the backup is dominated by pg_dump, chunking and id computation.
        var next = await Measure.CompareAsync(rounds,
            ("plain repository", () => new BackupOperation(plain[0]).RunAsync(new BackupRequest(), null, CancellationToken.None)),
            ("encrypted repository (AES-256-GCM, HMAC ids)", () => new BackupOperation(encrypted[0]).RunAsync(new BackupRequest(), null, CancellationToken.None)));
        Measure.Print($"Encryption overhead, next-day backup of pgbench scale {db.Scale} (unchanged data)", next, "plain repository");

        var unlock = new List<double>();
        for (var i = 0; i < rounds; i++)
        {
            var watch = Stopwatch.StartNew();
            await using (await encrypted[0].OpenRepositoryAsync(CancellationToken.None))
                unlock.Add(watch.Elapsed.TotalSeconds);
        }
        var unlockMedian = unlock.Order().ElementAt(unlock.Count / 2);
        Console.WriteLine($"Unlocking the key (Argon2id, 64 MiB, 3 passes), part of every command on an encrypted repository: median {unlockMedian:0.000} s");
        foreach (var (title, samples) in new[] { ("first backup", first), ("next-day backup", next) })
        {
            var plainMedian = samples[0].Median;
            var encryptedMedian = samples[1].Median;
            Console.WriteLine($"{title}: overhead {100 * (encryptedMedian / plainMedian - 1):0.0}% of wall time; " +
                              $"without the fixed unlock {100 * ((encryptedMedian - unlockMedian) / plainMedian - 1):0.0}%");
        }
        Console.WriteLine();
    }

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
