using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class RulesetListCommand
{
    public static Command Create()
    {
        var name = RulesetCommand.NameOption();
        var command = new Command("list", "List the versions of a ruleset and where each is active.")
        {
            name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var operations = new RulesetOperations(run.Context);
            var versions = await operations.GetVersionsAsync(run.Get(name), ct);
            if (run.Json)
            {
                run.Output.WriteJson(versions);
                return ExitCodes.Ok;
            }
            var ruleset = run.Get(name) ?? operations.DefaultName;
            if (versions.Count == 0)
            {
                run.Output.Line($"ruleset '{ruleset}' has no versions yet");
                return ExitCodes.Ok;
            }
            var table = run.Output.Table("Version", "Active in", "Time", "Author", "SHA-256", "Description");
            foreach (var v in versions)
                table.AddRow(Markup.Escape(v.Version), Markup.Escape(string.Join(", ", v.ActiveIn)), Format.Time(v.Time),
                    Markup.Escape(v.Author), v.Sha256[..12], Markup.Escape(v.Description));
            run.Output.Write(table);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }
}
