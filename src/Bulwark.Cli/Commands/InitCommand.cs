using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Repositories;

namespace Bulwark.Cli.Commands;

public static class InitCommand
{
    public static Command Create()
    {
        var location = new Argument<string?>("location")
        {
            Description = "Where to create the repository (default: --repo or 'repository:' of the configuration)",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var encrypt = new Option<bool>("--encrypt")
        {
            Description = "Encrypt every object (AES-256-GCM, keyed ids); the passphrase comes from BULWARK_PASSWORD, " +
                          "BULWARK_PASSWORD_FILE or BULWARK_PASSWORD_COMMAND, or is asked twice on a terminal",
        };
        var command = new Command("init",
            "Create a repository, and a commented bulwark.yml in this folder when there is no configuration.")
        {
            location, encrypt,
        };
        command.SetHandler(async (run, ct) =>
        {
            var (repository, id, written) = await new InitOperation(run.Context).RunAsync(run.Get(location),
                Environment.CurrentDirectory, new InitOptions { Encrypt = run.Get(encrypt) }, ct);
            if (run.Json)
            {
                run.Output.WriteJson(new JsonOutputs.Init(repository, id, run.Get(encrypt), written));
                return ExitCodes.Ok;
            }
            run.Output.Line($"created {(run.Get(encrypt) ? "encrypted " : "")}repository {id} at {repository}");
            if (run.Get(encrypt))
                run.Output.Line("keep the passphrase safe: without it the backups cannot be read ('bulwark key add' adds another)");
            if (written is not null)
                run.Output.Line($"wrote {written}: set 'postgres.url' there (or use PGHOST, PGDATABASE, ... as for psql), then run 'bulwark backup'");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable,
            ExitCodes.WrongPassphrase);
    }
}
