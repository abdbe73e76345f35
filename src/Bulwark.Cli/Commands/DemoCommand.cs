using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Demo;

namespace Bulwark.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var directory = new Option<string?>("--dir") { Description = "Folder for the demo (default: a new folder under the system temporary folder)", HelpName = "PATH" };
        var command = new Command("demo",
            "Run the main job on an embedded default: a throwaway PostgreSQL with sample data is backed up twice into a " +
            "local repository, verified, restored into a new database and compared; then the server is removed.")
        {
            directory,
        };
        command.SetHandler(async (run, ct) =>
        {
            var report = await new DemoRunner(line => { if (!run.Json) run.Output.Line(line); }).RunAsync(run.Get(directory), ct);
            if (run.Json)
            {
                run.Output.WriteJson(report);
                return report.Equal ? ExitCodes.Ok : ExitCodes.Integrity;
            }
            run.Output.Line();
            run.Output.Line(report.Equal ? "Demo passed: the restored database is identical to the original." : "Demo FAILED: the restored database differs.");
            run.Output.Line($"The repository stays at {report.Repository}; look at it with:");
            run.Output.Line($"  ./bulwark list --repo {report.Repository}");
            run.Output.Line($"  ./bulwark show latest --repo {report.Repository}");
            run.Output.Line($"  ./bulwark verify --read-data --repo {report.Repository}");
            run.Output.Line($"Remove it with: rm -rf {report.WorkDirectory}");
            return report.Equal ? ExitCodes.Ok : ExitCodes.Integrity;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.ToolMissing, ExitCodes.Integrity);
    }
}
