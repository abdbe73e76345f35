using System.Net;
using System.Reflection;
using Bulwark.Cli.Daemon.Dashboard;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations;
using Bulwark.Operations.Dashboard;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;
using Bulwark.Operations.Status;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Bulwark.Cli.Daemon;

/// <summary>
/// 'bulwark daemon' on the Generic Host: the scheduler as a hosted service, and Kestrel serving the dashboard (/),
/// /health (JSON; 503 when CRITICAL or UNKNOWN), /metrics (Prometheus text format) and /status (JSON of 'bulwark
/// status'), read-only, behind <see cref="DashboardAccess"/>. SIGTERM and
/// Ctrl+C stop the host, which gives running jobs the shutdown timeout before cancelling them.
/// </summary>
internal static class DaemonHost
{
    /// <summary>Time beyond the shutdown timeout for a cancelled job to unwind (kill pg_dump, remove its lock).</summary>
    private static readonly TimeSpan CancelMargin = TimeSpan.FromSeconds(30);

    /// <summary>How long the first page waits for the first health check.</summary>
    private static readonly TimeSpan FirstHealthWait = TimeSpan.FromSeconds(60);

    /// <param name="verbose">Also log the daemon's memory (the runtime's numbers) after each dashboard refresh.</param>
    public static async Task<int> RunAsync(BulwarkContext context, IPEndPoint? listen, TextWriter log, CancellationToken cancellationToken,
        bool verbose = false)
    {
        // Health refreshes, jobs and /status all open the repository: unlock it once for the daemon's life.
        context = context.KeepingKeys();
        var settings = context.Settings.Daemon;
        var schedule = JobSchedule.FromConfig(context.Settings, context.Time);
        var runner = new JobRunner(context);
        using var scheduler = new Scheduler(context, schedule, runner, settings.ShutdownTimeoutValue, settings.HealthIntervalValue);
        void Log(string message) => log.WriteLine($"{context.Time.GetLocalNow():yyyy-MM-dd HH:mm:ss} {Operations.Logging.SecretRedactor.Redact(message)}");
        scheduler.Message += Log;
        runner.Warning += Log;

        var access = listen is null ? null : DashboardAccess.Create(settings.TokenFile, listen, context.Config.ResolvePath);
        // The scheduler's first health check reads every manifest that the snapshot cache lacks. A first page made
        // beside it would read them all a second time, doubling the garbage (and the peak memory) of the start: the
        // first refresh waits for that check, then shows its report and reads the cache it filled.
        var firstHealth = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        runner.HealthReported += _ => firstHealth.TrySetResult();
        if (settings.HealthIntervalValue is null)
            firstHealth.TrySetResult();
        using var dashboard = new DashboardState(async ct =>
        {
            try
            {
                await firstHealth.Task.WaitAsync(FirstHealthWait, context.Time, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // a check that failed or hangs does not hold the page back
            }
            return await new StatusOperation(context).RunAsync(scheduler.LatestHealth, ct).ConfigureAwait(false);
        }, context.Time);
        dashboard.Failed += Log;
        if (verbose)
            dashboard.Refreshed += () => Log("debug: " + DaemonMemory.Read());
        scheduler.JobFinished += _ => dashboard.Poke();

        IHost host;
        if (listen is null)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = context.Config.BaseDirectory });
            Configure(builder.Services, builder.Logging, scheduler, settings.ShutdownTimeoutValue);
            host = builder.Build();
        }
        else
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = context.Config.BaseDirectory });
            Configure(builder.Services, builder.Logging, scheduler, settings.ShutdownTimeoutValue);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(listen));
            var app = builder.Build();
            app.Use(access!.HandleAsync);
            var metrics = new DaemonMetrics(scheduler, context.Time);
            app.MapGet("/health", http => Health(scheduler).ExecuteAsync(http));
            app.MapMetrics("/metrics", metrics.Registry);
            // The page and /status come from the state the daemon's cycle made: a request opens no repository.
            // Request delegates, not minimal-API handlers: those are bound by reflection, which the native build lacks.
            app.MapGet("/status", async http =>
            {
                var state = await dashboard.ReadyAsync(http.RequestAborted);
                await Results.Bytes(state.Json, "application/json; charset=utf-8").ExecuteAsync(http);
            });
            app.MapGet("/", async http =>
            {
                var state = await dashboard.ReadyAsync(http.RequestAborted);
                await Results.Bytes(state.Page, "text/html; charset=utf-8").ExecuteAsync(http);
            });
            app.MapGet(DashboardAssets.StylesheetPath, http => Results.Text(DashboardAssets.Stylesheet, "text/css; charset=utf-8").ExecuteAsync(http));
            app.MapGet(DashboardAssets.IconPath, http => Results.Text(DashboardAssets.Icon, "image/svg+xml").ExecuteAsync(http));
            app.MapGet("/favicon.ico", http => Results.NoContent().ExecuteAsync(http));
            app.MapGet(DashboardAssets.ScriptPath, http => Results.Text(DashboardAssets.Script, "text/javascript; charset=utf-8").ExecuteAsync(http));
            host = app;
        }

        using (host)
        {
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (IOException e)
            {
                throw new BulwarkException(ErrorKind.Configuration, $"cannot listen on {listen}: {e.Message}",
                    "set 'daemon.listen' to a free ADDRESS:PORT, or off");
            }
            var addresses = host.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses;
            using var stopRefresh = CancellationTokenSource.CreateLinkedTokenSource(
                host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping);
            var refresh = listen is null ? Task.CompletedTask : Task.Run(() => dashboard.RunAsync(stopRefresh.Token), CancellationToken.None);
            Log($"bulwark daemon {Version} started (process {Environment.ProcessId}); repository {context.RepositoryDisplay}; time zone {schedule.TimeZone.Id}");
            foreach (var status in scheduler.Status())
                Log($"{status.Job}: '{status.Expression}', next run {(status.Next is { } n ? TimeZoneInfo.ConvertTime(n, schedule.TimeZone).ToString("yyyy-MM-dd HH:mm zzz", System.Globalization.CultureInfo.InvariantCulture) : "never")}");
            if (verbose)
                Log("debug: " + DaemonMemory.Settings());
            if (schedule.Jobs.Count == 0)
                Log("no job is scheduled ('schedule:' sets them all to off); serving health only");
            foreach (var address in addresses ?? [])
            {
                Log($"listening on {address} (dashboard /, /health, /metrics, /status)");
                if (access?.LoginCode is { } code)
                    Log($"dashboard login link (works once; sets the token cookie): {address}{DashboardAccess.LoginPath}?code={code}");
            }
            await host.WaitForShutdownAsync(CancellationToken.None);
            await stopRefresh.CancelAsync();
            await refresh;
            Log("stopped");
        }
        // A daemon that was asked to stop has done its job.
        return ExitCodes.Ok;
    }

    private static void Configure(IServiceCollection services, ILoggingBuilder logging, Scheduler scheduler, TimeSpan shutdownTimeout)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; });
        logging.SetMinimumLevel(LogLevel.Warning);
        services.Configure<HostOptions>(o => o.ShutdownTimeout = shutdownTimeout + CancelMargin);
        services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        services.AddSingleton(scheduler);
        services.AddHostedService<SchedulerService>();
    }

    private static IResult Health(Scheduler scheduler)
    {
        var report = scheduler.LatestHealth;
        var jobs = scheduler.Status().Select(j => new JsonOutputs.DaemonJob
        {
            Job = j.Job,
            Schedule = j.Expression,
            Next = j.Next,
            RunningSince = j.RunningSince,
            LastStart = j.Last?.LastStart,
            LastEnd = j.Last?.LastEnd,
            LastOutcome = j.Last?.LastOutcome,
            LastSummary = j.Last?.LastSummary,
            LastSuccess = j.Last?.LastSuccess,
            ConsecutiveFailures = j.Last?.ConsecutiveFailures ?? 0,
        }).ToList();
        var body = new JsonOutputs.DaemonHealth(
            report is null ? "starting" : report.Status.ToString().ToLowerInvariant(),
            report?.Time,
            report?.Repository,
            report?.Findings.Select(f => new JsonOutputs.DaemonFinding(f.Check, f.Status.ToString().ToLowerInvariant(), f.Summary, f.Advice)),
            jobs,
            new JsonOutputs.DaemonInfo(scheduler.Started, Version, Environment.ProcessId));
        var healthy = report is not null && report.Status is HealthStatus.Ok or HealthStatus.Warning;
        return Results.Json(body, CliJson.TypeInfo<JsonOutputs.DaemonHealth>(),
            statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static string Version =>
        typeof(DaemonHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?";
}
