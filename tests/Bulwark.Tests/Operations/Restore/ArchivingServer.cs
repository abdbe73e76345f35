using System.Diagnostics;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;
using Bulwark.Repository.Encryption;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Repository;
using Bulwark.Tests.Repository.Encryption;
using Npgsql;

namespace Bulwark.Tests.Operations.Restore;

/// <summary>
/// A PostgreSQL server of its own for one test, archiving its WAL with cp into a folder of its own (archive_command),
/// and what the tests do with it: write, wait for a segment to be archived, read a restored server.
/// </summary>
internal sealed class ArchivingServer : IAsyncDisposable
{
    private readonly List<string> _started = [];

    private ArchivingServer(LocalPostgresServer server, string archive)
    {
        Server = server;
        Archive = archive;
    }

    public LocalPostgresServer Server { get; }
    public string Archive { get; }

    /// <summary>The restore_command that reads this server's archive.</summary>
    public string RestoreCommand => $"cp '{Archive}/%f' '%p'";

    /// <param name="archiveCommand">Instead of cp into the archive folder (e.g. 'bulwark wal push').</param>
    public static async Task<ArchivingServer> StartAsync(TempDirectory directory, string? archiveCommand = null, bool dataChecksums = false)
    {
        var archive = directory.Combine("archive");
        Directory.CreateDirectory(archive);
        if (Environment.UserName == "root")
            await RunAsync("chown", "postgres:", archive);
        var server = await LocalPostgresServer.StartAsync(settings: new Dictionary<string, string>
        {
            ["archive_mode"] = "on",
            ["archive_command"] = $"'{archiveCommand ?? $"test ! -f {archive}/%f && cp %p {archive}/%f"}'",
        }, dataChecksums: dataChecksums);
        return new ArchivingServer(server, archive);
    }

    public string Url(string database = "postgres") => Server.Url(database, withPassword: true);

    /// <summary>A context for a repository under <paramref name="directory"/> that backs up this server (encrypted when asked).</summary>
    public async Task<BulwarkContext> ContextAsync(TempDirectory directory, bool encrypt = false)
    {
        var environment = new Dictionary<string, string> { ["BULWARK_PASSWORD"] = "pitr passphrase" };
        var context = new BulwarkContext(LoadedConfig.FromObject(new BulwarkConfig
        {
            Repository = directory.Combine("repo"),
            State = directory.Combine("state"),
            Postgres = new PostgresConfig { Url = Url() },
        }, directory.Path, name => encrypt ? environment.GetValueOrDefault(name) : null));
        await new InitOperation(context).RunAsync(context.Settings.Repository, directory.Path,
            new InitOptions { Encrypt = encrypt, Kdf = EncryptionTests.FastKdf }, TestContext.Current.CancellationToken);
        return context;
    }

    public Task ExecuteAsync(string sql) => ExecuteAsync(Url(), sql);

    public static async Task ExecuteAsync(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(PgConnectionSettings.Resolve(url, _ => null).ToNpgsql().ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public static async Task<T> ScalarAsync<T>(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(PgConnectionSettings.Resolve(url, _ => null).ToNpgsql().ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>
    /// Writes two batches of 500 rows into 'batches' (id, batch) and archives them; the server's time between the two,
    /// as a recovery target text.
    /// </summary>
    public async Task<string> TwoBatchesAsync()
    {
        await ExecuteAsync("INSERT INTO batches SELECT g, 1 FROM generate_series(1, 500) g");
        var between = await ScalarAsync<DateTime>(Url(), "SELECT clock_timestamp()");
        await ExecuteAsync("INSERT INTO batches SELECT g, 2 FROM generate_series(501, 1000) g");
        await ArchiveCurrentSegmentAsync(Url());
        return new DateTimeOffset(between, TimeSpan.Zero).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Switches to a new WAL segment on <paramref name="url"/>'s server and waits until the finished one is archived.</summary>
    public static async Task ArchiveCurrentSegmentAsync(string url)
    {
        var segment = await ScalarAsync<string>(url, "SELECT pg_walfile_name(pg_current_wal_lsn())");
        await ExecuteAsync(url, "SELECT pg_switch_wal()");
        for (var i = 0; i < 600; i++)
        {
            var archived = await ScalarAsync<object>(url, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") as string;
            if (string.CompareOrdinal(archived, segment) >= 0 && archived!.Length == 24)
                return;
            var failed = await ScalarAsync<object>(url, "SELECT coalesce(last_failed_wal, '') FROM pg_stat_archiver") as string;
            Assert.True(string.IsNullOrEmpty(failed) || string.CompareOrdinal(failed, segment) < 0, $"archiving {failed} failed");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
        Assert.Fail($"{segment} was not archived in a minute");
    }

    /// <summary>The URL of a server started by 'restore --start' on <paramref name="port"/>, stopped when this is disposed.</summary>
    public string Restored(string directory, int port, string database = "postgres")
    {
        _started.Add(directory);
        return $"postgres://{Server.User}:{Uri.EscapeDataString(Server.Password)}@127.0.0.1:{port}/{database}";
    }

    public async ValueTask DisposeAsync()
    {
        var pgCtl = Path.Combine(LocalPostgresServer.FindServerBinDirectory() ?? "/usr/bin", "pg_ctl");
        foreach (var directory in _started)
        {
            if (Environment.UserName == "root")
                await RunAsync("runuser", "-u", "postgres", "--", pgCtl, "-D", directory, "-m", "immediate", "-w", "stop");
            else
                await RunAsync(pgCtl, "-D", directory, "-m", "immediate", "-w", "stop");
        }
        await Server.DisposeAsync();
    }

    private static async Task RunAsync(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }
}
