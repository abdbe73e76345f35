using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// Point-in-time recovery side by side with pgBackRest on one server, in two phases.
/// Archiving: each tool alone as archive_command under the same pgbench write load, with the segments left waiting
/// (.ready files) read every second. Backups and restores: both tools archive every segment (one archive_command
/// runs both), so that each takes a full base backup of the same cluster, the same load's WAL lands in both archives,
/// and each restores its full backup and replays the same WAL to the end of its archive; then a second base backup
/// after 1 % of the rows changed (bytes it added to the repository, against pgBackRest's --type=incr). Peak memory is
/// the kernel's maximum resident set of the tool's process. Both run as the server's own user, as an archive_command does.
/// </summary>
public static class PitrBenchmark
{
    private const string Stanza = "bench";
    private const string Database = "bench";

    /// <param name="binary">A bulwark executable to measure instead of the checkout's own build.</param>
    /// <param name="compressionLevel">Bulwark's backup.compression-level (null: its default).</param>
    public static async Task RunAsync(string work, int scale, int seconds, string? binary = null, int? compressionLevel = null)
    {
        var (program, prefix) = binary is null ? await CheckoutProgram.BuildAsync() : (Path.GetFullPath(binary), []);
        var kind = prefix.Length == 0 ? "native (NativeAOT)" : "dotnet " + string.Join(' ', prefix);
        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var sockets = Path.Combine(work, "sockets");
        Directory.CreateDirectory(sockets);
        await OwnAsync(runAs, work);
        await using var server = await LocalPostgresServer.StartAsync(work, settings: new Dictionary<string, string>
        {
            ["unix_socket_directories"] = $"'{sockets}'",
            ["wal_level"] = "replica",
            ["archive_mode"] = "on",
            ["archive_command"] = "'/bin/true'",
            ["archive_timeout"] = "60",
            ["max_wal_senders"] = "10",
            ["shared_buffers"] = "256MB",
            ["fsync"] = "on",
            ["full_page_writes"] = "on",
        });
        var started = DateTimeOffset.UtcNow;
        var load = new List<double> { LoadAverage() };
        await Sql(server, "postgres", $"CREATE DATABASE {Database}");
        var watch = Stopwatch.StartNew();
        await BenchDatabase.Run("pgbench", server, Database, "-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture));
        Console.Error.WriteLine($"# pgbench -i -s {scale}: {watch.Elapsed.TotalSeconds:0.0} s; bulwark is {program} ({kind})");

        var bulwark = new BulwarkTool(work, server, program, prefix, runAs, compressionLevel);
        var pgbackrest = new PgBackRestTool(Path.Combine(work, "pgbackrest"), server, sockets, runAs);
        await bulwark.PrepareAsync();
        await pgbackrest.PrepareAsync();

        // Archiving, each tool alone.
        var bulwarkArchive = await ArchiveUnderLoadAsync(server, "bulwark wal push", bulwark.ArchiveCommand, seconds, load);
        var pgbackrestArchive = await ArchiveUnderLoadAsync(server, "pgbackrest archive-push", pgbackrest.ArchiveCommand, seconds, load);

        // Backups and restores of the same data: both archive every segment from here on.
        await SetArchiveCommandAsync(server, $"{bulwark.ArchiveCommand} && {pgbackrest.ArchiveCommand}");
        Console.Error.WriteLine("# full base backups");
        var startLsn = (await CaptureAsync(server, "psql", "postgres", "-Atc", "SELECT pg_current_wal_lsn()")).Trim();
        var bulwarkFull = await TimedAsync(bulwark.FullBackupAsync);
        var pgbackrestFull = await TimedAsync(pgbackrest.FullBackupAsync);
        load.Add(LoadAverage());

        Console.Error.WriteLine("# write load archived by both");
        await PgbenchAsync(server, seconds);
        await SwitchAndDrainAsync(server);
        var replayed = await WalSinceAsync(server, startLsn) / 1048576.0;

        Console.Error.WriteLine("# restores to the end of the archive");
        var bulwarkRestore = await RestoreAsync(server, bulwark, runAs);
        var pgbackrestRestore = await RestoreAsync(server, pgbackrest, runAs);
        load.Add(LoadAverage());

        Console.Error.WriteLine("# second base backups after 1 % of the rows changed");
        await Sql(server, Database, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0");
        await Sql(server, "postgres", "CHECKPOINT");
        await SwitchAndDrainAsync(server);
        var bulwarkSecond = await SecondBackupAsync(server, bulwark);
        var pgbackrestSecond = await SecondBackupAsync(server, pgbackrest);

        Console.Error.WriteLine("# peak memory of one push");
        var segment = ArchivedSegment(server);
        var bulwarkPush = await bulwark.PushPeakAsync(segment, encrypted: false);
        var bulwarkPushEncrypted = await bulwark.PushPeakAsync(segment, encrypted: true);
        var pgbackrestPush = await pgbackrest.PushPeakAsync(segment);
        var bulwarkRuntime = await PeakAs(runAs, program, [.. prefix, "--version"]);
        var pgbackrestRuntime = await PeakAs(runAs, "pgbackrest", ["version"]);
        load.Add(LoadAverage());

        var pgbackrestVersion = await ToolVersionAsync("pgbackrest", "version");
        Console.WriteLine($"## Point-in-time recovery, pgbench scale {scale}, write load `pgbench -c 4 -j 2 -T {seconds}`");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{started:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, load average (1 min, read {load.Count} times) {load.Min():0.0} to {load.Max():0.0}, mean {load.Average():0.0}; bulwark {kind}, {pgbackrestVersion}, PostgreSQL {server.Version}; synchronous archiving (one process per segment) for both."));
        Console.WriteLine();
        Console.WriteLine("| measure | bulwark | pgBackRest | ratio |");
        Console.WriteLine("|---|---|---|---|");
        Row("archiving alone: segments waiting (.ready, read every second), most", bulwarkArchive.Most, pgbackrestArchive.Most, "0");
        Row("archiving alone: segments waiting, 95th percentile", bulwarkArchive.P95, pgbackrestArchive.P95, "0");
        Row("archiving alone: segments waiting, mean", bulwarkArchive.Mean, pgbackrestArchive.Mean, "0.00");
        Row("archiving alone: segments archived during the load", bulwarkArchive.Segments, pgbackrestArchive.Segments, "0");
        Row("archiving alone: pgbench transactions per second", bulwarkArchive.Tps, pgbackrestArchive.Tps, "0");
        Row("archiving alone: archive drained after the load, s", bulwarkArchive.DrainSeconds, pgbackrestArchive.DrainSeconds, "0.0");
        Row("archiving alone: failed pushes", bulwarkArchive.Failed, pgbackrestArchive.Failed, "0");
        Row("full base backup, s", bulwarkFull.Seconds, pgbackrestFull.Seconds, "0.00");
        Row("full base backup, MiB added to the repository", bulwarkFull.AddedMiB, pgbackrestFull.AddedMiB, "0.0");
        Row("second base backup after 1 % of rows changed (pgBackRest: --type=incr), s", bulwarkSecond.Seconds, pgbackrestSecond.Seconds, "0.00");
        Row("second base backup, MiB added to the repository (with the WAL it archived)", bulwarkSecond.AddedMiB, pgbackrestSecond.AddedMiB, "0.0");
        Row("… of which WAL archived during it, MiB", bulwarkSecond.WalMiB, pgbackrestSecond.WalMiB, "0.0");
        Row($"restore + recovery to the end of the archive ({replayed:0} MiB of WAL to replay), s", bulwarkRestore.Total, pgbackrestRestore.Total, "0.00");
        Row("… of which the restore command, s", bulwarkRestore.Files, pgbackrestRestore.Files, "0.00");
        Row("… of which the server's start and recovery, s", bulwarkRestore.Recovery, pgbackrestRestore.Recovery, "0.00");
        Row("peak memory of one push (a new repository), MiB", bulwarkPush / 1048576.0, pgbackrestPush / 1048576.0, "0.0");
        Row("peak memory of one push, encrypted repository (bulwark), MiB", bulwarkPushEncrypted / 1048576.0, 0, "0.0");
        Row("peak memory of the full base backup, MiB", bulwarkFull.PeakMiB, pgbackrestFull.PeakMiB, "0.0");
        Row("peak memory of the program's version command (its runtime alone), MiB", bulwarkRuntime / 1048576.0, pgbackrestRuntime / 1048576.0, "0.0");
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Repository after the run: bulwark {Size(bulwark.Repository) / 1048576.0:0.0} MiB, pgBackRest {Size(pgbackrest.Repository) / 1048576.0:0.0} MiB (each holds two base backups and the archive)."));
    }

    private static void Row(string name, double bulwark, double pgbackrest, string format) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {bulwark.ToString(format, CultureInfo.InvariantCulture)} | {(pgbackrest > 0 ? pgbackrest.ToString(format, CultureInfo.InvariantCulture) : "-")} | {(pgbackrest > 0 && bulwark > 0 ? (bulwark / pgbackrest).ToString("0.00", CultureInfo.InvariantCulture) : "-")} |"));

    private sealed record Archiving(double Most, double P95, double Mean, double Segments, double Tps, double DrainSeconds, double Failed);

    private sealed record Backup(double Seconds, double AddedMiB, double PeakMiB, double WalMiB = 0);

    private sealed record Restore(double Files, double Recovery)
    {
        public double Total => Files + Recovery;
    }

    private static async Task<Archiving> ArchiveUnderLoadAsync(LocalPostgresServer server, string name, string command, int seconds,
        List<double> load)
    {
        Console.Error.WriteLine($"# {name} alone under the write load");
        await SetArchiveCommandAsync(server, command);
        var (archivedBefore, failedBefore) = await ArchiverCountsAsync(server);
        var ready = Path.Combine(server.DataDirectory, "pg_wal", "archive_status");
        var counts = new List<int>();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                counts.Add(Directory.EnumerateFiles(ready, "*.ready").Count());
                try { await Task.Delay(1000, stop.Token); } catch (OperationCanceledException) { }
            }
        });
        var tps = await PgbenchAsync(server, seconds);
        await stop.CancelAsync();
        await sampler;
        load.Add(LoadAverage());
        var watch = Stopwatch.StartNew();
        await SwitchAndDrainAsync(server);
        var drain = watch.Elapsed.TotalSeconds;
        var (archivedAfter, failedAfter) = await ArchiverCountsAsync(server);
        var sorted = counts.DefaultIfEmpty(0).Order().ToList();
        return new Archiving(sorted[^1], sorted[Math.Max(0, (int)Math.Ceiling(sorted.Count * 0.95) - 1)], sorted.Average(),
            archivedAfter - archivedBefore, tps, drain, failedAfter - failedBefore);
    }

    private static async Task SetArchiveCommandAsync(LocalPostgresServer server, string command)
    {
        await Sql(server, "postgres", $"ALTER SYSTEM SET archive_command = '{command.Replace("'", "''", StringComparison.Ordinal)}'");
        await Sql(server, "postgres", "SELECT pg_reload_conf()");
        await SwitchAndDrainAsync(server);
    }

    /// <summary>pgbench's write load; its transactions per second.</summary>
    private static async Task<double> PgbenchAsync(LocalPostgresServer server, int seconds)
    {
        var output = await CaptureAsync(server, "pgbench", Database, "-n", "-c", "4", "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture));
        var match = Regex.Match(output, @"tps = ([0-9.]+)");
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    private static async Task<(long Archived, long Failed)> ArchiverCountsAsync(LocalPostgresServer server)
    {
        var text = await CaptureAsync(server, "psql", "postgres", "-Atc", "SELECT archived_count || ' ' || failed_count FROM pg_stat_archiver");
        var parts = text.Trim().Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    /// <summary>Closes the current segment and waits until the archiver has no segment left waiting.</summary>
    private static async Task SwitchAndDrainAsync(LocalPostgresServer server)
    {
        await Sql(server, "postgres", "SELECT pg_switch_wal()");
        var ready = Path.Combine(server.DataDirectory, "pg_wal", "archive_status");
        var deadline = Stopwatch.StartNew();
        while (Directory.EnumerateFiles(ready, "*.ready").Any())
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
                throw new InvalidOperationException($"the archive did not drain; see {server.LogFile}");
            await Task.Delay(100);
        }
    }

    private static async Task<Backup> TimedAsync(Func<Task<(long Peak, long Added)>> backup)
    {
        var watch = Stopwatch.StartNew();
        var (peak, added) = await backup();
        return new Backup(watch.Elapsed.TotalSeconds, added / 1048576.0, peak / 1048576.0);
    }

    /// <summary>A second base backup; the bytes it added to its repository, with the WAL segments it made the server archive.</summary>
    private static async Task<Backup> SecondBackupAsync(LocalPostgresServer server, ITool tool)
    {
        await SwitchAndDrainAsync(server);
        var before = Size(tool.Repository);
        var walBefore = Size(tool.WalArchive);
        var watch = Stopwatch.StartNew();
        await tool.SecondBackupAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        await SwitchAndDrainAsync(server);
        return new Backup(seconds, (Size(tool.Repository) - before) / 1048576.0, 0, (Size(tool.WalArchive) - walBefore) / 1048576.0);
    }

    /// <summary>Bytes of WAL written since <paramref name="lsn"/>.</summary>
    private static async Task<long> WalSinceAsync(LocalPostgresServer server, string lsn) =>
        long.Parse((await CaptureAsync(server, "psql", "postgres", "-Atc", $"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '{lsn}')::bigint")).Trim(),
            CultureInfo.InvariantCulture);

    private static async Task<Restore> RestoreAsync(LocalPostgresServer server, ITool tool, string? runAs)
    {
        var target = Path.Combine(tool.Work, "restored");
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await OwnAsync(runAs, target);
        var watch = Stopwatch.StartNew();
        await tool.RestoreToEndAsync(target);
        var files = watch.Elapsed.TotalSeconds;
        watch.Restart();
        await StartAndWaitForPromotionAsync(server, target, runAs);
        var recovery = watch.Elapsed.TotalSeconds;
        Directory.Delete(target, recursive: true);
        return new Restore(files, recovery);
    }

    /// <summary>Starts a restored data directory on a free port and waits until recovery ends and it is promoted.</summary>
    private static async Task StartAndWaitForPromotionAsync(LocalPostgresServer server, string data, string? runAs)
    {
        var port = FreePort();
        var bin = LocalPostgresServer.FindServerBinDirectory();
        var pgCtl = bin is null ? "pg_ctl" : Path.Combine(bin, "pg_ctl");
        var log = Path.Combine(Path.GetDirectoryName(data)!, "restored.log");
        await As(runAs, pgCtl, ["-D", data, "-l", log, "-w", "-t", "1200",
            "-o", $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c archive_mode=off", "start"]);
        try
        {
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var (code, output) = await Capture("psql", ["-h", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture),
                    "-U", server.User, "-d", "postgres", "-Atc", "SELECT pg_is_in_recovery()"], runAs, server.Password);
                if (code == 0 && output.Trim() == "f")
                    break;
                if (deadline.Elapsed > TimeSpan.FromMinutes(20))
                    throw new InvalidOperationException($"recovery did not end; see {log}");
                await Task.Delay(50);
            }
        }
        finally
        {
            await As(runAs, pgCtl, ["-D", data, "-m", "immediate", "-w", "stop"]);
        }
    }

    private interface ITool
    {
        string Work { get; }
        string Repository { get; }
        string ArchiveCommand { get; }
        Task<(long Peak, long Added)> FullBackupAsync();
        Task SecondBackupAsync();
        Task RestoreToEndAsync(string target);
        /// <summary>Where the repository keeps archived WAL.</summary>
        string WalArchive { get; }
    }

    private sealed class BulwarkTool(string root, LocalPostgresServer server, string program, string[] prefix, string? runAs, int? compressionLevel) : ITool
    {
        private const string Passphrase = "bench-passphrase";
        public string Work { get; } = Path.Combine(root, "bulwark");
        public string Repository => Path.Combine(Work, "repository");
        public string WalArchive => Path.Combine(Repository, "wal");
        private string Config => Path.Combine(Work, "bulwark.yml");
        private string[] Command(params string[] arguments) => [.. prefix, .. arguments, "--config", Config];
        public string ArchiveCommand => Shell([program, .. Command("wal", "push", "%p")]).Replace("'%p'", "%p", StringComparison.Ordinal);

        public async Task PrepareAsync()
        {
            Directory.CreateDirectory(Work);
            await File.WriteAllTextAsync(Config, ConfigText(Work));
            await OwnAsync(runAs, Work);
            await As(runAs, program, Command("init"));
        }

        private string ConfigText(string folder) => $"""
            repository: {Path.Combine(folder, "repository")}
            state: {Path.Combine(folder, "state")}
            postgres:
              url: {server.Url("postgres", withPassword: true)}
            """ + (compressionLevel is { } level ? $"\nbackup:\n  compression-level: {level}\n" : "");

        public async Task<(long Peak, long Added)> FullBackupAsync()
        {
            var before = Size(Repository);
            var peak = await PeakAs(runAs, program, Command("backup", "--physical"));
            return (peak, Size(Repository) - before);
        }

        public Task SecondBackupAsync() => As(runAs, program, Command("backup", "--physical"));

        public Task RestoreToEndAsync(string target) =>
            As(runAs, program, Command("restore", "latest", "--to-dir", target, "--to-end"));

        /// <summary>Peak memory of a push of a copy of <paramref name="segment"/> into a repository of its own.</summary>
        public async Task<long> PushPeakAsync(string segment, bool encrypted)
        {
            var folder = Path.Combine(Work, encrypted ? "push-encrypted" : "push");
            var wal = Path.Combine(folder, "pg_wal");
            Directory.CreateDirectory(wal);
            var copy = Path.Combine(wal, Path.GetFileName(segment));
            File.Copy(segment, copy);
            var config = Path.Combine(folder, "bulwark.yml");
            await File.WriteAllTextAsync(config, ConfigText(folder));
            await OwnAsync(runAs, folder);
            var environment = new Dictionary<string, string?> { ["BULWARK_PASSWORD"] = encrypted ? Passphrase : null };
            await AsWith(runAs, program, [.. prefix, "init", .. (encrypted ? new[] { "--encrypt" } : []), "--config", config], environment);
            return await PeakAs(runAs, program, [.. prefix, "wal", "push", copy, "--config", config], environment);
        }
    }

    private sealed class PgBackRestTool(string work, LocalPostgresServer server, string sockets, string? runAs) : ITool
    {
        public string Work { get; } = work;
        public string Repository => Path.Combine(Work, "repository");
        public string WalArchive => Path.Combine(Repository, "archive");
        private string Config => Path.Combine(Work, "pgbackrest.conf");
        public string ArchiveCommand => $"pgbackrest --config={Config} --stanza={Stanza} archive-push %p";

        public async Task PrepareAsync()
        {
            Directory.CreateDirectory(Work);
            // zstd at pgBackRest's default level (3; Bulwark's default is 1); one process (process-max=1).
            await File.WriteAllTextAsync(Config, $"""
                [global]
                repo1-path={Repository}
                repo1-retention-full=10
                compress-type=zst
                start-fast=y
                log-level-console=warn
                log-level-file=off
                lock-path={Path.Combine(Work, "lock")}
                spool-path={Path.Combine(Work, "spool")}

                [{Stanza}]
                pg1-path={server.DataDirectory}
                pg1-port={server.Port.ToString(CultureInfo.InvariantCulture)}
                pg1-socket-path={sockets}
                pg1-user={server.User}

                """);
            await OwnAsync(runAs, Work);
            await As(runAs, "pgbackrest", Command("stanza-create"));
        }

        private string[] Command(params string[] arguments) => [$"--config={Config}", $"--stanza={Stanza}", .. arguments];

        public async Task<(long Peak, long Added)> FullBackupAsync()
        {
            var before = Size(Repository);
            var peak = await PeakAs(runAs, "pgbackrest", Command("backup", "--type=full"));
            return (peak, Size(Repository) - before);
        }

        public Task SecondBackupAsync() => As(runAs, "pgbackrest", Command("backup", "--type=incr"));

        // The newest backup is the full one when this runs; recovery goes to the end of the archive and promotes.
        public Task RestoreToEndAsync(string target) =>
            As(runAs, "pgbackrest", Command($"--pg1-path={target}", "--type=default", "restore"));

        /// <summary>Peak memory of an archive-push of <paramref name="segment"/> into a stanza of its own.</summary>
        public async Task<long> PushPeakAsync(string segment)
        {
            var push = new PgBackRestTool(Path.Combine(Work, "push"), server, sockets, runAs);
            await push.PrepareAsync();
            return await PeakAs(runAs, "pgbackrest", push.Command("archive-push", segment));
        }
    }

    /// <summary>The newest segment still in pg_wal that the archiver has archived.</summary>
    private static string ArchivedSegment(LocalPostgresServer server)
    {
        var wal = Path.Combine(server.DataDirectory, "pg_wal");
        return Directory.EnumerateFiles(Path.Combine(wal, "archive_status"), "*.done")
            .Select(f => Path.Combine(wal, Path.GetFileNameWithoutExtension(f)))
            .Where(f => Path.GetFileName(f).Length == 24 && File.Exists(f))
            .Order(StringComparer.Ordinal)
            .Last();
    }

    private static long Size(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;

    private static double LoadAverage() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    private static Task Sql(LocalPostgresServer server, string database, string sql) =>
        BenchDatabase.Run("psql", server, database, "-q", "-c", sql);

    private static async Task OwnAsync(string? runAs, string path)
    {
        if (runAs is not null)
            await Measure.RunProcessAsync("chown", ["-R", $"{runAs}:", path]);
    }

    private static Task As(string? runAs, string program, IReadOnlyList<string> arguments) => AsWith(runAs, program, arguments, null);

    private static Task AsWith(string? runAs, string program, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string?>? environment) =>
        Measure.RunProcessAsync(runAs is null ? program : "runuser", runAs is null ? arguments : ["-u", runAs, "--", program, .. arguments], environment);

    /// <summary>
    /// Peak memory (maximum resident set, from the kernel's rusage through /usr/bin/time) of the program, or of the
    /// largest process it waited for (pg_basebackup under bulwark, pgBackRest's local worker); setpriv execs, so the
    /// process measured is the program. Without /usr/bin/time, VmHWM read every 20 ms, which can miss a short peak.
    /// </summary>
    private static async Task<long> PeakAs(string? runAs, string program, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var variables = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()) { ["HOME"] = Path.GetTempPath() };
        const string time = "/usr/bin/time";
        var report = File.Exists(time) ? Path.Combine(Path.GetTempPath(), $"bulwark-bench-rss-{Guid.NewGuid():N}") : null;
        string[] command = report is null ? [program, .. arguments] : [time, "-f", "%M", "-o", report, program, .. arguments];
        var polled = await Measure.PeakMemoryAsync(runAs is null ? command[0] : "setpriv",
            runAs is null ? command[1..] : ["--reuid", runAs, "--regid", runAs, "--init-groups", "--", .. command], variables);
        if (report is null)
            return polled;
        var kib = long.Parse((await File.ReadAllLinesAsync(report)).Last(l => l.Trim().Length > 0).Trim(), CultureInfo.InvariantCulture);
        File.Delete(report);
        return kib * 1024;
    }

    private static async Task<string> ToolVersionAsync(string program, string argument)
    {
        var (_, output) = await Capture(program, [argument], null, "");
        return output.Trim();
    }

    /// <summary>Runs a PostgreSQL client program against the server; its standard output.</summary>
    private static Task<string> CaptureAsync(LocalPostgresServer server, string program, string database, params string[] arguments) =>
        BenchDatabase.Capture(program, server, database, arguments);

    private static async Task<(int Code, string Output)> Capture(string program, IReadOnlyList<string> arguments, string? runAs, string password)
    {
        var bin = LocalPostgresServer.FindServerBinDirectory();
        var path = bin is not null && File.Exists(Path.Combine(bin, program)) ? Path.Combine(bin, program) : program;
        var info = new ProcessStartInfo(runAs is null ? path : "runuser") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in runAs is null ? arguments : ["-u", runAs, "--", path, .. arguments])
            info.ArgumentList.Add(a);
        // The restored server keeps the copied pg_hba.conf: a password over TCP.
        info.Environment["PGPASSWORD"] = password;
        using var p = Process.Start(info)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, output);
    }

    private static string Shell(IEnumerable<string> words)
    {
        var text = new StringBuilder();
        foreach (var word in words)
            text.Append(text.Length == 0 ? "" : " ").Append('\'').Append(word.Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        return text.ToString();
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
