using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark ruleset …': the ruleset registry (versions and activations kept in the repository).</summary>
public static class RulesetCommand
{
    /// <summary>--name, shared by the subcommands.</summary>
    internal static Option<string?> NameOption() => new("--name")
    {
        Description = "The ruleset (a key under 'rulesets:' in bulwark.yml; default: the only one, or 'ruleset')",
        HelpName = "RULESET",
    };

    /// <summary>--author for activations; defaults to the login name.</summary>
    internal static Option<string?> AuthorOption() => new("--author")
    {
        Description = "Who does it, recorded in the event (default: the login name)",
        HelpName = "NAME",
    };

    internal static Option<bool> ForceOption() => new("--force")
    {
        Description = "Write the file even when it was changed by hand (drift) or the version is already active",
    };

    public static Command Create()
    {
        var command = new Command("ruleset",
            "Versioned rulesets: register the working file as a semantic version, activate versions per environment, " +
            "roll back, promote, and check the files on disk. Versions and activations live in the repository.")
        {
            RulesetCreateCommand.Create(),
            RulesetActivateCommand.Create(),
            RulesetRollbackCommand.Create(),
            RulesetPromoteCommand.Create(),
            RulesetListCommand.Create(),
            RulesetHistoryCommand.Create(),
            RulesetDiffCommand.Create(),
            RulesetVerifyCommand.Create(),
        };
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.Locked,
            ExitCodes.StorageUnavailable, ExitCodes.Refused, ExitCodes.Integrity);
    }

    /// <summary>The line printed after an activation, rollback or promotion.</summary>
    internal static int RenderActivation(Invocation run, ActivationResult result, string verb)
    {
        if (run.Json)
        {
            run.Output.WriteJson(result.Record);
            return ExitCodes.Ok;
        }
        var record = result.Record;
        run.Output.Line($"{verb} {record.Ruleset} {record.Version} in {record.Environment}" +
                        (record.Previous is null ? "" : $" (was {record.Previous})"));
        run.Output.Line($"  wrote {record.Path}, sha256 {record.Sha256}");
        return ExitCodes.Ok;
    }
}
