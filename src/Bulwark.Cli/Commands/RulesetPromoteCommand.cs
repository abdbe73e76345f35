using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetPromoteCommand
{
    public static Command Create()
    {
        var version = new Argument<string>("version") { Description = "The version to promote; it must be active in --from" };
        var from = new Option<string>("--from") { Description = "Where the version runs now (e.g. staging)", HelpName = "ENV", Required = true };
        var to = new Option<string>("--to") { Description = "Where to activate it (e.g. prod)", HelpName = "ENV", Required = true };
        var author = RulesetCommand.AuthorOption();
        var force = RulesetCommand.ForceOption();
        var name = RulesetCommand.NameOption();
        var command = new Command("promote",
            "Activate in --to a version that is active in --from.")
        {
            version, from, to, author, force, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var result = await new RulesetOperations(run.Context).PromoteVersionAsync(
                run.Get(version), run.Get(from), run.Get(to), run.Get(author), run.Get(force), run.Get(name), ct);
            return RulesetCommand.RenderActivation(run, result, $"promoted from {run.Get(from)}:");
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.StorageUnavailable, ExitCodes.Refused, ExitCodes.Integrity);
    }
}
