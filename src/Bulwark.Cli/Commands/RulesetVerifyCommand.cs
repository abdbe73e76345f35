using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Rulesets;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Cli.Commands;

public static class RulesetVerifyCommand
{
    public static Command Create()
    {
        var name = RulesetCommand.NameOption();
        var all = new Option<bool>("--all") { Description = "Every ruleset (configured or in the repository)" };
        var command = new Command("verify",
            "Check that each environment's file matches the SHA-256 of its active version. Drift (or a missing file) exits " +
            $"{ExitCodes.Integrity} and names the file.")
        {
            name, all,
        };
        command.SetHandler(async (run, ct) =>
        {
            var operations = new RulesetOperations(run.Context);
            var result = run.Get(all)
                ? await operations.VerifyAllAsync(ct)
                : await operations.VerifyAsync(run.Get(name), ct);
            if (run.Json)
                run.Output.WriteJson(new JsonOutputs.RulesetVerify(result.Ok, result.Checks));
            else
                foreach (var check in result.Checks)
                    run.Output.Line($"{(check.IsProblem ? "DRIFT" : check.Status == RulesetFileStatus.Ok ? "ok" : "-")} {check.Ruleset} {check.Environment}: {check.Describe()}");
            if (result.Ok)
                return ExitCodes.Ok;
            var problems = result.Problems.ToList();
            run.Output.Fail(problems.Count == 1
                    ? problems[0].Describe()
                    : $"{problems.Count} files differ from their active versions: {string.Join(", ", problems.Select(p => p.Path))}",
                "see the change with 'bulwark ruleset diff VERSION --file PATH'; put the version back with 'bulwark ruleset activate VERSION --env ENV --force'");
            return ExitCodes.Integrity;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable,
            ExitCodes.Integrity);
    }
}
