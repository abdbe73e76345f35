using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Restore;

namespace Bulwark.Bench;

/// <summary>
/// Configuration files in a backup: many small files and one large one, against tar (the usual way to keep them).
/// Measures a first backup, a backup where nothing changed, and a restore (each file written atomically and fsynced).
/// </summary>
public static class FilesBenchmark
{
    public static async Task RunAsync(string work, int rounds, int fileCount = 2000)
    {
        var source = Path.Combine(work, "files-src");
        var random = new Random(42);
        for (var i = 0; i < fileCount; i++)
        {
            var folder = Path.Combine(source, "conf", $"d{i % 50:00}");
            Directory.CreateDirectory(folder);
            var bytes = new byte[1024 + random.Next(3072)];
            random.NextBytes(bytes);
            await File.WriteAllTextAsync(Path.Combine(folder, $"f{i:0000}.yml"), "value: " + Convert.ToHexString(bytes) + "\n");
        }
        var big = new byte[32 << 20];
        random.NextBytes(big);
        await File.WriteAllBytesAsync(Path.Combine(source, "conf", "big.bin"), big);

        var n = 0;
        var first = await Measure.CompareAsync(rounds,
            ("tar czf", () => Measure.RunProcessAsync("tar", ["czf", Path.Combine(work, "files.tgz"), "-C", source, "conf"])),
            ("tar cf", () => Measure.RunProcessAsync("tar", ["cf", Path.Combine(work, "files.tar"), "-C", source, "conf"])),
            ("bulwark backup --files-only (first)", async () =>
            {
                var context = Context(source, Path.Combine(work, $"files-repo-{n++}"));
                await BackupBenchmark.Init(context);
                await new BackupOperation(context).RunAsync(new BackupRequest { FilesOnly = true }, null, CancellationToken.None);
            }));
        Measure.Print($"Backup of {fileCount} small files and 32 MiB (first)", first, "tar czf");

        var daily = Context(source, Path.Combine(work, "files-repo-daily"));
        await BackupBenchmark.Init(daily);
        await new BackupOperation(daily).RunAsync(new BackupRequest { FilesOnly = true }, null, CancellationToken.None);
        var next = await Measure.CompareAsync(rounds,
            ("tar czf", () => Measure.RunProcessAsync("tar", ["czf", Path.Combine(work, "files.tgz"), "-C", source, "conf"])),
            ("bulwark backup --files-only (unchanged)", () => new BackupOperation(daily).RunAsync(new BackupRequest { FilesOnly = true }, null, CancellationToken.None)));
        Measure.Print($"Backup of {fileCount} small files and 32 MiB (nothing changed)", next, "tar czf");

        var r = 0;
        var restore = await Measure.CompareAsync(rounds,
            ("tar xzf", async () =>
            {
                var target = Directory.CreateDirectory(Path.Combine(work, $"untar-{r}")).FullName;
                await Measure.RunProcessAsync("tar", ["xzf", Path.Combine(work, "files.tgz"), "-C", target]);
            }),
            ("bulwark restore --files-to", async () =>
            {
                await new RestoreOperation(daily).RunAsync(new RestoreRequest { Snapshot = "latest", FilesTo = Path.Combine(work, $"restored-{r++}") },
                    null, CancellationToken.None);
            }));
        Measure.Print($"Restore of {fileCount} small files and 32 MiB", restore, "tar xzf");
    }

    private static BulwarkContext Context(string source, string repository) =>
        new(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = repository,
            State = repository + "-state",
            Files = [Path.Combine(source, "conf")],
        }, source, _ => null));
}
