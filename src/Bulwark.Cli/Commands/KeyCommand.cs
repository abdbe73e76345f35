using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations.Repositories;
using Spectre.Console;

namespace Bulwark.Cli.Commands;

public static class KeyCommand
{
    public static Command Create()
    {
        var command = new Command("key",
            "Manage the passphrases of an encrypted repository: each key wraps the same master key with one passphrase.\n" +
            "The current passphrase comes from BULWARK_PASSWORD, BULWARK_PASSWORD_FILE or BULWARK_PASSWORD_COMMAND, or is asked on a terminal.");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List()
    {
        var command = new Command("list", "List the keys; '*' marks the one the passphrase opened.");
        command.SetHandler(async (run, ct) =>
        {
            var listing = await new KeyOperation(run.Context).ListAsync(ct);
            if (run.Json)
            {
                run.Output.WriteJson(listing.Keys.Select(k => new JsonOutputs.Key(
                    k.Id, k.Id == listing.CurrentKeyId, k.Created, k.Host, k.User,
                    $"{k.Kdf.Algorithm} m={k.Kdf.MemoryKiB}KiB t={k.Kdf.Iterations} p={k.Kdf.Parallelism}")).ToList());
                return ExitCodes.Ok;
            }
            var table = run.Output.Table("", "id", "created", "host", "user", "key derivation");
            foreach (var key in listing.Keys)
                table.AddRow(key.Id == listing.CurrentKeyId ? "*" : "", key.ShortId, Format.Time(key.Created), key.Host ?? "",
                    key.User ?? "", $"{key.Kdf.Algorithm} {key.Kdf.MemoryKiB / 1024} MiB, {key.Kdf.Iterations} passes, {key.Kdf.Parallelism} lanes");
            run.Output.Write(table);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable,
            ExitCodes.WrongPassphrase);
    }

    private static Command Add()
    {
        var command = new Command("add",
            "Add a passphrase. The new one comes from BULWARK_NEW_PASSWORD or BULWARK_NEW_PASSWORD_FILE, or is asked twice on a terminal.");
        command.SetHandler(async (run, ct) =>
        {
            var key = await new KeyOperation(run.Context).AddAsync(ct);
            if (run.Json)
                run.Output.WriteJson(new JsonOutputs.KeyAdded(key.Id, key.Created));
            else
                run.Output.Line($"added key {key.ShortId}");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.StorageUnavailable,
            ExitCodes.WrongPassphrase);
    }

    private static Command Remove()
    {
        var id = new Argument<string>("id") { Description = "The key's id (at least 4 hex digits, see 'bulwark key list')" };
        var command = new Command("remove",
            "Remove a passphrase's key. The last key is never removed: without one nothing could be read.")
        {
            id,
        };
        command.SetHandler(async (run, ct) =>
        {
            var key = await new KeyOperation(run.Context).RemoveAsync(run.Get(id), ct);
            if (run.Json)
                run.Output.WriteJson(new JsonOutputs.KeyRemoved(key.Id));
            else
                run.Output.Line($"removed key {key.ShortId}");
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Usage, ExitCodes.Repository, ExitCodes.Locked,
            ExitCodes.StorageUnavailable, ExitCodes.WrongPassphrase, ExitCodes.Refused);
    }
}
