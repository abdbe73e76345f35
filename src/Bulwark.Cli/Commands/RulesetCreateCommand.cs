using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetCreateCommand
{
    public static Command Create()
    {
        var bump = new Argument<string>("bump") { Description = "patch, minor or major" };
        bump.AcceptOnlyFromAmong("patch", "minor", "major");
        var pre = new Option<string?>("--pre") { Description = "Make it a pre-release of the next version: LABEL.N (e.g. --pre rc gives 1.1.0-rc.1)", HelpName = "LABEL" };
        var message = new Option<string>("--message", "-m") { Description = "What changed", HelpName = "DESCRIPTION", Required = true };
        var author = new Option<string>("--author") { Description = "Who made the change", HelpName = "NAME", Required = true };
        var name = RulesetCommand.NameOption();
        var command = new Command("create",
            "Register the ruleset's working file as a new version. Refused when the file is not valid YAML or is identical to the latest version.")
        {
            bump, pre, message, author, name,
        };
        command.SetHandler(async (run, ct) =>
        {
            var created = await new RulesetOperations(run.Context).CreateVersionAsync(
                RulesetVersionPolicy.ParseBump(run.Get(bump)), run.Get(message), run.Get(author), run.Get(pre), run.Get(name), ct);
            if (run.Json)
            {
                run.Output.WriteJson(created);
                return ExitCodes.Ok;
            }
            run.Output.Line($"created {created.Ruleset} {created.Version}{(created.Parent is null ? "" : $" (parent {created.Parent})")}");
            run.Output.Line($"  sha256 {created.Sha256}, {Format.Bytes(created.Size)}, by {created.Author}: {created.Description}");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.Locked,
            ExitCodes.StorageUnavailable, ExitCodes.Refused);
    }
}
