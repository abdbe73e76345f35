using System.Globalization;
using System.Security.Cryptography;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// A throwaway PostgreSQL server in a temporary folder, from the installed server programs (initdb, pg_ctl): TCP on
/// 127.0.0.1 only, password authentication, superuser "postgres" unless another name is given. Runs as the "postgres" system user when started by
/// root, because initdb refuses root. Used by the demo, the tests and the benchmarks.
/// </summary>
public sealed class LocalPostgresServer : IAsyncDisposable
{
    private readonly ServerControl _control;
    private bool _stopped;

    private LocalPostgresServer(string root, ServerControl control, int port, string user, string password, PgVersion version)
    {
        User = user;
        Root = root;
        _control = control;
        Port = port;
        Password = password;
        Version = version;
    }

    public string Root { get; }
    public string DataDirectory => Path.Combine(Root, "data");
    public string LogFile => Path.Combine(Root, "server.log");
    public string Host => "127.0.0.1";
    public int Port { get; }
    /// <summary>The bootstrap superuser.</summary>
    public string User { get; }
    public string Password { get; }
    public PgVersion Version { get; }

    /// <summary>A postgres:// URL for <paramref name="database"/>; with the password only when asked.</summary>
    public string Url(string database, bool withPassword = false) =>
        $"postgres://{User}{(withPassword ? ":" + Uri.EscapeDataString(Password) : "")}@{Host}:{Port.ToString(CultureInfo.InvariantCulture)}/{Uri.EscapeDataString(database)}";

    public PgConnectionSettings Settings(string database) =>
        PgConnectionSettings.Resolve(Url(database, withPassword: true), _ => null);

    /// <summary>
    /// Creates and starts a server. <paramref name="settings"/> are extra postgresql.conf lines;
    /// <paramref name="superuser"/> names the bootstrap superuser; <paramref name="dataChecksums"/> turns on page checksums.
    /// </summary>
    public static async Task<LocalPostgresServer> StartAsync(string? parent = null, string? binDirectory = null,
        IReadOnlyDictionary<string, string>? settings = null, string superuser = "postgres", bool dataChecksums = false,
        CancellationToken cancellationToken = default)
    {
        var (initdb, version) = await ServerControl.Tools(binDirectory).FindAsync("initdb", null, cancellationToken).ConfigureAwait(false);
        var control = await ServerControl.FindAsync(binDirectory, cancellationToken).ConfigureAwait(false);

        var root = Path.Combine(parent ?? Path.GetTempPath(), $"bulwark-pg-{Guid.NewGuid():N}"[..24]);
        Directory.CreateDirectory(root);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var passwordFile = Path.Combine(root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, password + "\n", cancellationToken).ConfigureAwait(false);
        await control.ChownAsync(root, recursive: true, cancellationToken).ConfigureAwait(false);
        try
        {
            await RunAsync(control, initdb,
                ["-D", Path.Combine(root, "data"), "-U", superuser, "--auth-host=scram-sha-256", "--auth-local=trust",
                 $"--pwfile={passwordFile}", "-E", "UTF8", "--locale=C", "--no-sync", .. (dataChecksums ? new[] { "--data-checksums" } : [])],
                cancellationToken).ConfigureAwait(false);
            File.Delete(passwordFile);
            for (var attempt = 0; ; attempt++)
            {
                var port = ServerControl.FreePort();
                var conf = new Dictionary<string, string>
                {
                    ["listen_addresses"] = "'127.0.0.1'",
                    ["port"] = port.ToString(CultureInfo.InvariantCulture),
                    ["unix_socket_directories"] = "''",
                    ["fsync"] = "off",
                    ["synchronous_commit"] = "off",
                    ["full_page_writes"] = "off",
                    ["max_connections"] = "100",
                    ["max_wal_size"] = "2GB",
                };
                foreach (var (key, value) in settings ?? new Dictionary<string, string>())
                    conf[key] = value;
                await File.WriteAllLinesAsync(Path.Combine(root, "data", "postgresql.auto.conf"),
                    conf.Select(kv => $"{kv.Key} = {kv.Value}"), cancellationToken).ConfigureAwait(false);
                await control.ChownAsync(Path.Combine(root, "data", "postgresql.auto.conf"), recursive: false, cancellationToken).ConfigureAwait(false);
                try
                {
                    await RunAsync(control, control.PgCtl,
                        ["-D", Path.Combine(root, "data"), "-l", Path.Combine(root, "server.log"), "-w", "-t", "60", "start"],
                        cancellationToken).ConfigureAwait(false);
                    return new LocalPostgresServer(root, control, port, superuser, password, version);
                }
                catch (BulwarkException) when (attempt < 3)
                {
                    // The port was taken between choosing and binding it; try another.
                }
            }
        }
        catch
        {
            TryDelete(root);
            throw;
        }
    }

    /// <summary>The server programs' folder: PATH when initdb is there, else the newest /usr/lib/postgresql/N/bin.</summary>
    public static string? FindServerBinDirectory()
    {
        if (Environment.GetEnvironmentVariable("BULWARK_PG_SERVER_BIN") is { Length: > 0 } configured)
            return configured;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            if (File.Exists(Path.Combine(folder, "initdb")) && File.Exists(Path.Combine(folder, "pg_ctl")))
                return folder;
        }
        const string debian = "/usr/lib/postgresql";
        if (Directory.Exists(debian))
        {
            return Directory.EnumerateDirectories(debian)
                .Select(d => (Dir: d, Ok: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var major), Major: major))
                .Where(x => x.Ok && File.Exists(Path.Combine(x.Dir, "bin", "initdb")))
                .OrderByDescending(x => x.Major)
                .Select(x => Path.Combine(x.Dir, "bin"))
                .FirstOrDefault();
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped)
            return;
        _stopped = true;
        try
        {
            await RunAsync(_control, _control.PgCtl, ["-D", DataDirectory, "-m", "immediate", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
        }
        catch (BulwarkException)
        {
            // Already stopped.
        }
        TryDelete(Root);
    }

    private static async Task RunAsync(ServerControl control, string program, IReadOnlyList<string> arguments,
        CancellationToken cancellationToken)
    {
        var (code, errors) = await control.TryRunAsync(program, arguments, cancellationToken).ConfigureAwait(false);
        if (code != 0)
            throw new BulwarkException(ErrorKind.Failed, $"{Path.GetFileName(program)} failed (exit {code}): {errors}",
                "check that the PostgreSQL server programs are installed (apt-get install postgresql)");
    }

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
