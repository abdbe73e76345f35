using System.Diagnostics;
using System.Globalization;
using System.Text;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// Point-in-time recovery side by side with pgBackRest on one server: WAL archiving under a pgbench write load
/// (the most segments left waiting, read every second), a full base backup, a second one after 1 % of the rows
/// changed (bytes it added to the repository), and a restore of the first base backup replaying the load's WAL to
/// the end of the archive. Both tools run as the server's own user, as an archive_command does.
/// </summary>
public static class PitrBenchmark
{
    private const string Stanza = "bench";

    public static async Task RunAsync(string work, int scale, int seconds)
    {
        var (program, prefix) = await CheckoutProgram.BuildAsync();
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
        const string database = "bench";
        await BenchDatabase.Run("psql", server, "postgres", "-q", "-c", $"CREATE DATABASE {database}");
        var watch = Stopwatch.StartNew();
        await BenchDatabase.Run("pgbench", server, database, "-i", "-q", "-s", scale.ToString(CultureInfo.InvariantCulture));
        Console.Error.WriteLine($"# pgbench -i -s {scale}: {watch.Elapsed.TotalSeconds:0.0} s");

        var bulwark = new BulwarkSide(work, server, program, prefix, runAs);
        var pgbackrest = new PgBackRestSide(work, server, sockets, runAs);
        await bulwark.PrepareAsync();
        await pgbackrest.PrepareAsync();

        var results = new List<Result>();
        foreach (var side in new ISide[] { bulwark, pgbackrest })
            results.Add(await RunSideAsync(server, database, side, seconds, runAs));

        Console.WriteLine($"## Point-in-time recovery, pgbench scale {scale}, write load `pgbench -c 4 -j 2 -T {seconds}`");
        Console.WriteLine("| measure | bulwark | pgBackRest | ratio |");
        Console.WriteLine("|---|---|---|---|");
        var (b, p) = (results[0], results[1]);
        Row("segments waiting under load, most (.ready, read every second)", b.MostReady, p.MostReady, "0");
        Row("segments waiting under load, mean", b.MeanReady, p.MeanReady, "0.00");
        Row("archive drained after the load, s", b.DrainSeconds, p.DrainSeconds, "0.0");
        Row("full base backup, s", b.FullSeconds, p.FullSeconds, "0.00");
        Row("second base backup after 1 % of rows changed, s", b.SecondSeconds, p.SecondSeconds, "0.00");
        Row("second base backup, MiB added to the repository", b.SecondMiB, p.SecondMiB, "0.0");
        Row("restore + recovery to the end of the archive, s", b.RestoreSeconds, p.RestoreSeconds, "0.00");
        Row("peak memory of one WAL push, MiB", b.PushPeakMiB, p.PushPeakMiB, "0");
        Row("peak memory of a full base backup, MiB", b.BackupPeakMiB, p.BackupPeakMiB, "0");
        Console.WriteLine();
        Console.WriteLine($"Repository after the run: bulwark {b.RepositoryMiB:0.0} MiB, pgBackRest {p.RepositoryMiB:0.0} MiB " +
                          "(each holds two base backups and the archive of its own load).");
    }

    private static void Row(string name, double bulwark, double pgbackrest, string format) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {bulwark.ToString(format, CultureInfo.InvariantCulture)} | {pgbackrest.ToString(format, CultureInfo.InvariantCulture)} | {(pgbackrest > 0 ? (bulwark / pgbackrest).ToString("0.00", CultureInfo.InvariantCulture) : "-")} |"));

    private sealed record Result(double MostReady, double MeanReady, double DrainSeconds, double FullSeconds,
        double SecondSeconds, double SecondMiB, double RestoreSeconds, double PushPeakMiB, double BackupPeakMiB, double RepositoryMiB);

    private static async Task<Result> RunSideAsync(LocalPostgresServer server, string database, ISide side, int seconds, string? runAs)
    {
        Console.Error.WriteLine($"# {side.Name}: archive_command");
        await Sql(server, "postgres", $"ALTER SYSTEM SET archive_command = '{side.ArchiveCommand.Replace("'", "''", StringComparison.Ordinal)}'");
        await Sql(server, "postgres", "SELECT pg_reload_conf()");
        await Sql(server, "postgres", "SELECT pg_switch_wal()");
        await DrainAsync(server);
        await side.AfterArchivingStartsAsync();

        Console.Error.WriteLine($"# {side.Name}: full base backup");
        var watch = Stopwatch.StartNew();
        var backupPeak = await side.FullBackupAsync();
        var full = watch.Elapsed.TotalSeconds;

        Console.Error.WriteLine($"# {side.Name}: write load");
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
        await BenchDatabase.Run("pgbench", server, database, "-n", "-c", "4", "-j", "2", "-T", seconds.ToString(CultureInfo.InvariantCulture));
        await stop.CancelAsync();
        await sampler;
        watch.Restart();
        await Sql(server, "postgres", "SELECT pg_switch_wal()");
        await DrainAsync(server);
        var drain = watch.Elapsed.TotalSeconds;

        Console.Error.WriteLine($"# {side.Name}: restore to the end of the archive");
        var target = Path.Combine(side.Work, "restored");
        Directory.CreateDirectory(target);
        File.SetUnixFileMode(target, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await OwnAsync(runAs, target);
        watch.Restart();
        await side.RestoreToEndAsync(target);
        await StartAndWaitForPromotionAsync(server, target, runAs);
        var restore = watch.Elapsed.TotalSeconds;

        Console.Error.WriteLine($"# {side.Name}: second base backup after 1 % of the rows changed");
        await Sql(server, database, "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0");
        await Sql(server, "postgres", "CHECKPOINT");
        await Sql(server, "postgres", "SELECT pg_switch_wal()");
        await DrainAsync(server);
        var before = Size(side.Repository);
        watch.Restart();
        await side.SecondBackupAsync();
        var second = watch.Elapsed.TotalSeconds;
        await Sql(server, "postgres", "SELECT pg_switch_wal()");
        await DrainAsync(server);
        var added = Size(side.Repository) - before;

        var pushPeak = await side.PushPeakAsync();
        return new Result(counts.DefaultIfEmpty(0).Max(), counts.DefaultIfEmpty(0).Average(), drain, full, second,
            added / 1048576.0, restore, pushPeak / 1048576.0, backupPeak / 1048576.0, Size(side.Repository) / 1048576.0);
    }

    /// <summary>Waits until the archiver has no segment left waiting.</summary>
    private static async Task DrainAsync(LocalPostgresServer server)
    {
        var ready = Path.Combine(server.DataDirectory, "pg_wal", "archive_status");
        var deadline = Stopwatch.StartNew();
        while (Directory.EnumerateFiles(ready, "*.ready").Any())
        {
            if (deadline.Elapsed > TimeSpan.FromMinutes(10))
                throw new InvalidOperationException($"the archive did not drain; see {server.LogFile}");
            await Task.Delay(100);
        }
    }

    /// <summary>Starts a restored data directory on a free port and waits until recovery ends and it is promoted.</summary>
    private static async Task StartAndWaitForPromotionAsync(LocalPostgresServer server, string data, string? runAs)
    {
        var port = FreePort();
        var bin = LocalPostgresServer.FindServerBinDirectory();
        var pgCtl = bin is null ? "pg_ctl" : Path.Combine(bin, "pg_ctl");
        var log = Path.Combine(Path.GetDirectoryName(data)!, "restored.log");
        await As(runAs, pgCtl, ["-D", data, "-l", log, "-w", "-t", "600",
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

    private interface ISide
    {
        string Name { get; }
        string Work { get; }
        string Repository { get; }
        string ArchiveCommand { get; }
        Task AfterArchivingStartsAsync();
        Task<long> FullBackupAsync();
        Task SecondBackupAsync();
        Task RestoreToEndAsync(string target);
        Task<long> PushPeakAsync();
    }

    private sealed class BulwarkSide(string root, LocalPostgresServer server, string program, string[] prefix, string? runAs) : ISide
    {
        public string Name => "bulwark";
        public string Work { get; } = Path.Combine(root, "bulwark");
        public string Repository => Path.Combine(Work, "repository");
        private string Config => Path.Combine(Work, "bulwark.yml");
        private string[] Command(params string[] arguments) => [.. prefix, .. arguments, "--config", Config];
        public string ArchiveCommand => Shell([program, .. Command("wal", "push", "%p")]).Replace("'%p'", "%p", StringComparison.Ordinal);

        public async Task PrepareAsync()
        {
            Directory.CreateDirectory(Work);
            await File.WriteAllTextAsync(Config, $"""
                repository: {Repository}
                state: {Path.Combine(Work, "state")}
                postgres:
                  url: {server.Url("postgres", withPassword: true)}
                """);
            await OwnAsync(runAs, Work);
            await As(runAs, program, Command("init"));
        }

        public Task AfterArchivingStartsAsync() => Task.CompletedTask;

        public Task<long> FullBackupAsync() => PeakAs(runAs, program, Command("backup", "--physical"));

        public Task SecondBackupAsync() => As(runAs, program, Command("backup", "--physical"));

        public Task RestoreToEndAsync(string target) =>
            As(runAs, program, Command("restore", "latest", "--to-dir", target, "--to-end"));

        public async Task<long> PushPeakAsync()
        {
            // A copy of one segment pushed to a repository of its own, so that the run's archive stays as it is.
            var segments = Path.Combine(Work, "push", "pg_wal");
            Directory.CreateDirectory(segments);
            var segment = ArchivedSegment(server);
            File.Copy(segment, Path.Combine(segments, Path.GetFileName(segment)));
            var config = Path.Combine(Work, "push", "bulwark.yml");
            await File.WriteAllTextAsync(config, $"""
                repository: {Path.Combine(Work, "push", "repository")}
                state: {Path.Combine(Work, "push", "state")}
                postgres:
                  url: {server.Url("postgres", withPassword: true)}
                """);
            await OwnAsync(runAs, Path.Combine(Work, "push"));
            await As(runAs, program, [.. prefix, "init", "--config", config]);
            return await PeakAs(runAs, program, [.. prefix, "wal", "push", Path.Combine(segments, Path.GetFileName(segment)), "--config", config]);
        }
    }

    private sealed class PgBackRestSide(string root, LocalPostgresServer server, string sockets, string? runAs) : ISide
    {
        public string Name => "pgBackRest";
        public string Work { get; } = Path.Combine(root, "pgbackrest");
        public string Repository => Path.Combine(Work, "repository");
        private string Config => Path.Combine(Work, "pgbackrest.conf");
        public string ArchiveCommand => $"pgbackrest --config={Config} --stanza={Stanza} archive-push %p";

        public async Task PrepareAsync()
        {
            Directory.CreateDirectory(Work);
            // zstd at its default level, as Bulwark compresses; one process, as Bulwark's single job.
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
        }

        private string[] Command(params string[] arguments) => [$"--config={Config}", $"--stanza={Stanza}", .. arguments];

        public Task AfterArchivingStartsAsync() => As(runAs, "pgbackrest", Command("stanza-create"));

        public Task<long> FullBackupAsync() => PeakAs(runAs, "pgbackrest", Command("backup", "--type=full"));

        public Task SecondBackupAsync() => As(runAs, "pgbackrest", Command("backup", "--type=incr"));

        // The newest backup is the full one when this runs; recovery goes to the end of the archive and promotes.
        public Task RestoreToEndAsync(string target) =>
            As(runAs, "pgbackrest", Command($"--pg1-path={target}", "--type=default", "restore"));

        public async Task<long> PushPeakAsync()
        {
            var segment = ArchivedSegment(server);
            // archive-push of a segment the archive already holds with the same content: it reads and compares it.
            return await PeakAs(runAs, "pgbackrest", Command("archive-push", segment));
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

    private static Task Sql(LocalPostgresServer server, string database, string sql) =>
        BenchDatabase.Run("psql", server, database, "-q", "-c", sql);

    private static async Task OwnAsync(string? runAs, string path)
    {
        if (runAs is not null)
            await Measure.RunProcessAsync("chown", ["-R", $"{runAs}:", path]);
    }

    private static Task As(string? runAs, string program, IReadOnlyList<string> arguments) =>
        Measure.RunProcessAsync(runAs is null ? program : "runuser", runAs is null ? arguments : ["-u", runAs, "--", program, .. arguments]);

    /// <summary>Peak memory of the program itself: runuser execs it, so the process measured is the program.</summary>
    private static Task<long> PeakAs(string? runAs, string program, IReadOnlyList<string> arguments) =>
        Measure.PeakMemoryAsync(runAs is null ? program : "setpriv",
            runAs is null ? arguments : ["--reuid", runAs, "--regid", runAs, "--init-groups", "--", program, .. arguments],
            new Dictionary<string, string?> { ["HOME"] = Path.GetTempPath() });

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
