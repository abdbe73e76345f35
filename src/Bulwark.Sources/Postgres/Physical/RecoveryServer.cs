using System.Globalization;
using System.Net.Sockets;
using Bulwark.Storage.Local;
using Npgsql;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// A server started on a restored data folder: its own port and socket folder, started with pg_ctl (as the
/// "postgres" system user when run by root, because the server refuses root). While Bulwark waits for recovery, the
/// socket in its private folder (mode 0700) accepts local connections without a password (a pg_hba file of its own,
/// put before the copied rules); <see cref="RestoreAuthenticationAsync"/> leaves the copied rules alone in it.
/// </summary>
public sealed class RecoveryServer : IAsyncDisposable
{
    private const string HbaFile = "bulwark_recovery_hba.conf";
    private readonly ServerControl _control;
    private readonly TimeProvider _time;
    private bool _stopped;

    private string? _passphraseFile;

    private RecoveryServer(string dataDirectory, string socketDirectory, int port, ServerControl control, TimeProvider time)
    {
        DataDirectory = dataDirectory;
        SocketDirectory = socketDirectory;
        Port = port;
        _control = control;
        _time = time;
    }

    /// <summary>
    /// The settings of a server that must not archive into the repository (a drill, a copy started to look at): once
    /// promoted, it would archive a timeline of its own there, which a later restore to the end would follow.
    /// </summary>
    public static IReadOnlyDictionary<string, string> NoArchiving { get; } = new Dictionary<string, string>
    {
        ["archive_mode"] = "off",
        ["archive_command"] = "''",
    };

    public string DataDirectory { get; }
    public string SocketDirectory { get; }
    public int Port { get; }
    public string LogFile => Path.Combine(DataDirectory, "bulwark_recovery.log");
    /// <summary>The system user the server runs as (null: this process's).</summary>
    public string? RunAs => _control.RunAs;

    /// <summary>
    /// Starts the server without waiting. <paramref name="listen"/> is listen_addresses ('' for the socket only);
    /// <paramref name="settings"/> are more postgresql.conf lines (archive_mode = off for a drill); <paramref name="access"/>
    /// is what its restore_command needs of Bulwark's environment (null: nothing).
    /// </summary>
    public static async Task<RecoveryServer> StartAsync(string dataDirectory, string socketDirectory, int? port, string listen,
        IReadOnlyDictionary<string, string> settings, string? binDirectory, TimeProvider time, CancellationToken cancellationToken,
        RecoveryAccess? access = null)
    {
        var control = await ServerControl.FindAsync(binDirectory, cancellationToken).ConfigureAwait(false);
        var chosen = port ?? ServerControl.FreePort();
        Directory.CreateDirectory(socketDirectory);
        File.SetUnixFileMode(socketDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var copiedHba = Path.Combine(dataDirectory, "pg_hba.conf");
        var hba = new List<string> { "# Written by bulwark while it waits for recovery; the copied pg_hba.conf alone afterwards.", "local all all trust" };
        if (File.Exists(copiedHba))
            hba.AddRange(await File.ReadAllLinesAsync(copiedHba, cancellationToken).ConfigureAwait(false));
        await File.WriteAllLinesAsync(Path.Combine(dataDirectory, HbaFile), hba, cancellationToken).ConfigureAwait(false);
        var lines = new List<string>
        {
            "# Settings of the server bulwark started on this folder.",
            $"port = {chosen.ToString(CultureInfo.InvariantCulture)}",
            $"listen_addresses = {RecoveryConfig.Quote(listen)}",
            $"unix_socket_directories = {RecoveryConfig.Quote(socketDirectory)}",
            $"hba_file = {RecoveryConfig.Quote(Path.Combine(dataDirectory, HbaFile))}",
        };
        if (settings.TryGetValue("archive_mode", out var archiveMode) && archiveMode == "off")
            lines.Add("# It archives nothing into the repository. To make it a server of its own, stop it and delete this block: it then archives as the copied configuration says.");
        lines.AddRange(settings.Select(s => $"{s.Key} = {s.Value}"));
        await RecoveryConfig.AppendAsync(dataDirectory, lines, cancellationToken).ConfigureAwait(false);
        await control.ChownAsync(dataDirectory, recursive: true, cancellationToken).ConfigureAwait(false);
        await control.ChownAsync(socketDirectory, recursive: false, cancellationToken).ConfigureAwait(false);
        var server = new RecoveryServer(dataDirectory, socketDirectory, chosen, control, time);
        try
        {
            if (access?.Passphrase is { } passphrase)
                server._passphraseFile = await WritePassphraseAsync(control, socketDirectory, passphrase, cancellationToken).ConfigureAwait(false);
            var log = server.LogFile;
            // pg_ctl waits until the server accepts connections (consistent, or promoted without hot_standby) and says
            // so when it stops instead; the wait itself is bounded by the caller's cancellation.
            await server.PgCtlAsync(["-D", dataDirectory, "-l", log, "-w", "-t", "86400", "start"], cancellationToken,
                new ServerEnvironment(server._passphraseFile, access?.CloudCredentials ?? false)).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.ForgetPassphrase();
            throw;
        }
    }

    /// <summary>
    /// The passphrase in a file of the socket folder (mode 0700, the server's user's) that only the server's user may
    /// read, for its 'wal fetch'. Removed once recovery has ended (<see cref="ForgetPassphrase"/>): a file, unlike the
    /// server's environment, does not outlive that.
    /// </summary>
    private static async Task<string> WritePassphraseAsync(ServerControl control, string socketDirectory, string passphrase,
        CancellationToken cancellationToken)
    {
        var path = Path.Combine(socketDirectory, "repository.passphrase");
        await using (var stream = new FileStream(path, OwnerOnly.Options(FileMode.CreateNew, FileAccess.Write)))
            // The reader takes one final newline off, so a passphrase that ends with one keeps it.
            await stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(passphrase + "\n"), cancellationToken).ConfigureAwait(false);
        await control.ChownAsync(path, recursive: false, cancellationToken).ConfigureAwait(false);
        return path;
    }

    /// <summary>Removes the passphrase handed to the server, if any: its restore_command runs only during recovery.</summary>
    private void ForgetPassphrase()
    {
        if (_passphraseFile is null)
            return;
        try
        {
            File.Delete(_passphraseFile);
            _passphraseFile = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left in the private socket folder, which the caller removes (a drill) or the server's user owns.
        }
    }

    /// <summary>A connection over the private socket as <paramref name="user"/>.</summary>
    public NpgsqlConnectionStringBuilder Connection(string user, string database = "postgres") => new()
    {
        Host = SocketDirectory,
        Port = Port,
        Username = user,
        Database = database,
        Pooling = false,
        Timeout = 15,
        ApplicationName = "bulwark",
    };

    /// <summary>
    /// Waits until the server has left recovery (reached its target and promoted, or replayed the archive to its end),
    /// and says where it stopped. Fails with the server's own last log lines when it stops instead.
    /// </summary>
    public async Task<RecoveryOutcome> WaitForRecoveryAsync(string user, CancellationToken cancellationToken)
    {
        try
        {
            return await WaitAsync(user, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ForgetPassphrase();
        }
    }

    private async Task<RecoveryOutcome> WaitAsync(string user, CancellationToken cancellationToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await using var connection = PgDataSources.CreateConnection(Connection(user).ConnectionString);
                await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
                await using var command = new NpgsqlCommand("SELECT pg_is_in_recovery()", connection);
                if (!(bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
                    return await OutcomeAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NpgsqlException or IOException or SocketException or TimeoutException)
            {
                if (e is PostgresException { SqlState: not ("57P03" or "57P01" or "08006") } refused)
                    throw new BulwarkException(ErrorKind.Failed, $"the recovered server refused Bulwark's connection: {refused.MessageText}",
                        $"see {LogFile}");
                if (!await IsRunningAsync(cancellationToken).ConfigureAwait(false))
                    throw new BulwarkException(ErrorKind.Failed,
                        $"the server stopped during recovery: {string.Join(" / ", LastLogLines(3))}",
                        $"see {LogFile}; a target before the end of the base backup, or WAL missing from the archive, stops recovery");
            }
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    private static async Task<RecoveryOutcome> OutcomeAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT pg_last_wal_replay_lsn()::text, pg_last_xact_replay_timestamp(),
                   ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int,
                   (SELECT rolname FROM pg_roles WHERE oid = 10)
            """;
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new RecoveryOutcome(
            reader.IsDBNull(0) ? null : reader.GetString(0),
            reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
            reader.GetInt32(2),
            reader.GetString(3));
    }

    /// <summary>
    /// Drops the password-less socket rule: the server's own hba file (hba_file is read only at start) now holds the
    /// copied rules alone, and the server reloads it. Through pg_ctl, as the server's owner: the snapshot's user may
    /// be a REPLICATION role that may not call pg_reload_conf().
    /// </summary>
    public async Task RestoreAuthenticationAsync(CancellationToken cancellationToken)
    {
        var copied = Path.Combine(DataDirectory, "pg_hba.conf");
        var rules = File.Exists(copied) ? await File.ReadAllLinesAsync(copied, cancellationToken).ConfigureAwait(false) : [];
        await File.WriteAllLinesAsync(Path.Combine(DataDirectory, HbaFile), rules, cancellationToken).ConfigureAwait(false);
        await PgCtlAsync(["-D", DataDirectory, "reload"], cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> IsRunningAsync(CancellationToken cancellationToken)
    {
        var (code, _) = await TryPgCtlAsync(["-D", DataDirectory, "status"], cancellationToken).ConfigureAwait(false);
        return code == 0;
    }

    /// <summary>The last lines of the server's log that say something (FATAL, LOG, …).</summary>
    public IReadOnlyList<string> LastLogLines(int count)
    {
        try
        {
            return File.ReadLines(LogFile).Where(l => l.Length > 0).TakeLast(count).ToList();
        }
        catch (IOException)
        {
            return ["(no log)"];
        }
    }

    /// <summary>Stops the server (fast shutdown; immediate when <paramref name="immediate"/>).</summary>
    public async Task StopAsync(bool immediate, CancellationToken cancellationToken)
    {
        if (_stopped)
            return;
        _stopped = true;
        await TryPgCtlAsync(["-D", DataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60", "stop"], cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Leaves the server running (after --start): disposing no longer stops it.</summary>
    public void Detach() => _stopped = true;

    public async ValueTask DisposeAsync()
    {
        ForgetPassphrase();
        await StopAsync(immediate: true, CancellationToken.None).ConfigureAwait(false);
    }

    private async Task PgCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken, ServerEnvironment? environment = null)
    {
        var (code, errors) = await _control.TryPgCtlAsync(arguments, cancellationToken, environment).ConfigureAwait(false);
        if (code != 0)
            throw new BulwarkException(ErrorKind.Failed, $"pg_ctl {arguments[^1]} failed (exit {code}): {errors}; the server's log ends: {string.Join(" / ", LastLogLines(3))}",
                $"see {LogFile}; a target before the end of the base backup, or WAL missing from the archive, stops recovery");
    }

    private Task<(int Code, string Errors)> TryPgCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken) =>
        _control.TryPgCtlAsync(arguments, cancellationToken);
}

/// <summary>
/// What the restore_command of a server Bulwark starts needs to run 'bulwark wal fetch': the repository's passphrase
/// (null: not encrypted, or another restore_command), and whether the cloud credentials of Bulwark's environment are
/// passed on (only to a server no one else can reach: a drill's).
/// </summary>
public sealed record RecoveryAccess(string? Passphrase, bool CloudCredentials);

/// <summary>Where recovery ended: the last WAL position replayed, the time of the last transaction replayed, the timeline it continues on.</summary>
public sealed record RecoveryOutcome(string? Lsn, DateTimeOffset? LastTransactionTime, int Timeline, string Superuser);
