using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class RulesetHistoryCommand
{
    public static Command Create()
    {
        var environment = new Option<string?>("--env") { Description = "Only this environment", HelpName = "ENV" };
        var name = RulesetCommand.NameOption();
        var command = new Command("history",
            "Activations, rollbacks and promotions, oldest first: who, when, which version, and which one it replaced.")
        {
            environment, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var history = await new RulesetOperations(run.Context).GetHistoryAsync(run.Get(environment), run.Get(name), ct);
            if (run.Json)
            {
                run.Output.WriteJson(history);
                return ExitCodes.Ok;
            }
            if (history.Count == 0)
            {
                run.Output.Line("no activations yet");
                return ExitCodes.Ok;
            }
            var table = run.Output.Table("Time", "Environment", "Action", "Version", "Previous", "Author", "Host");
            foreach (var a in history)
                table.AddRow(Format.Time(a.Time), Markup.Escape(a.Environment),
                    Markup.Escape(a.FromEnvironment is null ? a.Action : $"{a.Action} from {a.FromEnvironment}"),
                    Markup.Escape(a.Version), Markup.Escape(a.Previous ?? "-"), Markup.Escape(a.Author), Markup.Escape(a.Host ?? ""));
            run.Output.Write(table);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable);
    }
}
