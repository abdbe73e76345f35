using Bulwark.Operations.Scheduling;
using Microsoft.Extensions.Hosting;

namespace Bulwark.Cli.Daemon;

/// <summary>Runs the <see cref="Scheduler"/> for the host's lifetime; the host's stop (SIGTERM) begins its shutdown.</summary>
internal sealed class SchedulerService(Scheduler scheduler) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => scheduler.RunAsync(stoppingToken);
}
