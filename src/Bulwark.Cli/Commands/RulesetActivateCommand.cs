using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetActivateCommand
{
    public static Command Create()
    {
        var version = new Argument<string>("version") { Description = "The version to activate, e.g. 1.0.1" };
        var environment = new Option<string>("--env") { Description = "The environment (a key under 'environments:')", HelpName = "ENV", Required = true };
        var author = RulesetCommand.AuthorOption();
        var force = RulesetCommand.ForceOption();
        var name = RulesetCommand.NameOption();
        var command = new Command("activate",
            "Write a version to the environment's file (atomically: the file is the old or the new content, never part) and record who did it.")
        {
            version, environment, author, force, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var result = await new RulesetOperations(run.Context).ActivateVersionAsync(
                run.Get(version), run.Get(environment), run.Get(author), run.Get(force), run.Get(name), ct);
            return RulesetCommand.RenderActivation(run, result, "activated");
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.StorageUnavailable, ExitCodes.Refused, ExitCodes.Integrity);
    }
}
