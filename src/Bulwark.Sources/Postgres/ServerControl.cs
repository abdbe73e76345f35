using System.Net;
using System.Net.Sockets;
using Bulwark.Sources.Processes;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Runs the server programs (initdb, pg_ctl) on a data folder Bulwark started: as the "postgres" system user when
/// this process is root, because both refuse root, with the folders it needs given to that user first. Shared by
/// <see cref="LocalPostgresServer"/> and <see cref="Physical.RecoveryServer"/>.
/// </summary>
internal sealed class ServerControl
{
    private ServerControl(string pgCtl, string? runAs)
    {
        PgCtl = pgCtl;
        RunAs = runAs;
    }

    public string PgCtl { get; }

    /// <summary>The system user the server runs as (null: this process's).</summary>
    public string? RunAs { get; }

    /// <summary>"postgres" when this process is root, else null (the server runs as this process's user).</summary>
    public static string? ServerUser => Environment.UserName == "root" ? "postgres" : null;

    /// <summary>pg_ctl from <paramref name="binDirectory"/> (else the installed server programs).</summary>
    public static async Task<ServerControl> FindAsync(string? binDirectory, CancellationToken cancellationToken)
    {
        var (pgCtl, _) = await Tools(binDirectory).FindAsync("pg_ctl", null, cancellationToken).ConfigureAwait(false);
        return new ServerControl(pgCtl, ServerUser);
    }

    /// <summary>The server programs of <paramref name="binDirectory"/>, else of <see cref="LocalPostgresServer.FindServerBinDirectory"/>.</summary>
    public static PgTools Tools(string? binDirectory) => new(binDirectory ?? LocalPostgresServer.FindServerBinDirectory());

    /// <summary>Gives <paramref name="path"/> (and what is below it) to the server's user; nothing when that is this process's.</summary>
    public async Task ChownAsync(string path, bool recursive, CancellationToken cancellationToken)
    {
        if (RunAs is null)
            return;
        IReadOnlyList<string> arguments = recursive ? ["-R", $"{RunAs}:", path] : [$"{RunAs}:", path];
        await ProcessRunner.RunAsync("chown", arguments, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs pg_ctl as the server's user; its exit code and the last lines of its standard error.</summary>
    /// <param name="access">For 'pg_ctl start': what the server's restore_command needs of Bulwark's environment.</param>
    public Task<(int Code, string Errors)> TryPgCtlAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        ServerEnvironment? access = null) =>
        TryRunAsync(PgCtl, arguments, cancellationToken, access);

    /// <summary>Runs <paramref name="program"/> as the server's user (C locale, from '/'); its exit code and the last lines of its standard error.</summary>
    public async Task<(int Code, string Errors)> TryRunAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken,
        ServerEnvironment? access = null)
    {
        var (file, args) = RunAs is null
            ? (program, arguments)
            : ("runuser", (IReadOnlyList<string>)["-u", RunAs, "--", program, .. arguments]);
        var environment = new Dictionary<string, string?> { ["LC_ALL"] = "C" };
        if (access?.PassphraseFile is { } passphraseFile)
            environment["BULWARK_PASSWORD_FILE"] = passphraseFile;
        await using var run = ProcessRunner.Start(file, args, environment, redirectInput: false, redirectOutput: true, cancellationToken,
            workingDirectory: "/", keepCloudCredentials: access?.CloudCredentials ?? false);
        var drain = run.StandardOutput.CopyToAsync(Stream.Null, cancellationToken);
        var code = await run.WaitAsync(cancellationToken).ConfigureAwait(false);
        await drain.ConfigureAwait(false);
        return (code, string.Join(" / ", run.ErrorLines.TakeLast(3)));
    }

    /// <summary>A TCP port on 127.0.0.1 that is free now (another process may take it before the server binds it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// What a started server inherits of Bulwark's environment, for a restore_command that runs 'bulwark wal fetch': the
/// file that holds the repository's passphrase, and whether the cloud credentials are passed on.
/// </summary>
internal sealed record ServerEnvironment(string? PassphraseFile, bool CloudCredentials);
