using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Repositories;

namespace Bulwark.Cli.Commands;

public static class UnlockCommand
{
    public static Command Create()
    {
        var all = new Option<bool>("--all") { Description = "Remove every lock, not only stale ones (only when you know no Bulwark process uses the repository)" };
        var command = new Command("unlock", "Remove stale locks (their process is gone, or they were not refreshed for 30 minutes).")
        {
            all,
        };
        command.SetHandler(async (run, ct) =>
        {
            var (removed, remaining) = await new UnlockOperation(run.Context).RunAsync(run.Get(all), ct);
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.Unlock(removed, remaining));
                return ExitCodes.Ok;
            }
            foreach (var info in removed)
                run.Output.Line($"removed lock: {info.Describe()}");
            foreach (var info in remaining)
                run.Output.Line($"kept active lock: {info.Describe()}");
            if (removed.Count == 0 && remaining.Count == 0)
                run.Output.Line("no locks");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }
}
