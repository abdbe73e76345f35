using System.CommandLine;
using System.Net;
using Bulwark.Cli.Daemon;
using Bulwark.Cli.Infrastructure;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark daemon': runs the schedules and serves /health and /metrics until SIGTERM or Ctrl+C.</summary>
public static class DaemonCommand
{
    public const string Name = "daemon";

    public static Command Create()
    {
        var listen = new Option<string?>("--listen")
        {
            Description = "Serve /health, /metrics and /status on ADDRESS:PORT (default 'daemon.listen', 127.0.0.1:9577); 'off' serves nothing",
            HelpName = "ADDRESS:PORT",
        };
        var command = new Command(Name,
            $"Run the schedules of 'schedule:' ({string.Join(", ", Operations.Scheduling.JobNames.All)}) and serve " +
            "/health (JSON), /metrics (Prometheus) and /status. A run missed while the daemon was down is run once at start; a job never overlaps itself. " +
            "SIGTERM or Ctrl+C lets a running job finish within 'daemon.shutdown-timeout', then cancels it (nothing is " +
            "half-committed). Failed jobs and checks that are not OK send the alerts of 'alerts:'.")
        {
            listen,
        };
        command.SetHandler(async (run, ct) =>
        {
            var context = run.Context;
            IPEndPoint? endpoint = context.Settings.Daemon.ListenEndPoint;
            if (run.Get(listen) is { } text)
            {
                var daemon = new Operations.Configuration.DaemonConfig { Listen = text };
                if (!Operations.Configuration.DurationText.IsOff(text) && daemon.ListenEndPoint is null)
                    throw new BulwarkException(ErrorKind.Usage, $"--listen '{text}' is not ADDRESS:PORT", "e.g. --listen 127.0.0.1:9577, or off");
                endpoint = daemon.ListenEndPoint;
            }
            return await DaemonHost.RunAsync(context, endpoint, Console.Out, ct, run.Get(GlobalOptions.Verbose));
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository);
    }

    /// <summary>The daemon stops through the host's own signal handling and grace period, not the command line's 30 s limit.</summary>
    public static bool IsDaemon(ParseResult parseResult) => parseResult.CommandResult.Command.Name == Name;
}
