using System.CommandLine;
using Bulwark.Cli.Infrastructure;
using Bulwark.Operations;
using Bulwark.Operations.Copy;

namespace Bulwark.Cli.Commands;

public static class CopyCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to")
        {
            Description = "The destination repository (a folder, s3://BUCKET/PREFIX, azure://CONTAINER/PREFIX); create it first with 'bulwark init'",
            HelpName = "LOCATION",
            Required = true,
        };
        var snapshots = new Argument<string[]>("snapshot")
        {
            Description = "Snapshots to copy ('latest' or id prefixes); none copies every snapshot",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var source = SourceOption.Create("Copy this source's snapshots only ('latest' is its newest); without it, every source's");
        var command = new Command("copy",
            "Copy snapshots into a second repository, sending only the chunks it lacks; snapshots it already has are skipped.\n" +
            "An encrypted destination's passphrase comes from BULWARK_NEW_PASSWORD or BULWARK_NEW_PASSWORD_FILE, or is asked on a terminal; " +
            "without either, the source's passphrase is tried. With 'sources:', 'latest' needs --source.")
        {
            to, snapshots, source,
        };
        command.SetHandler(async (run, ct) =>
        {
            var destination = StorageSetup.AbsoluteLocation(run.Get(to));
            var result = await run.Output.WithProgressAsync("copying", null,
                progress => new CopyOperation(SourceOption.Context(run, source)).RunAsync(new CopyRequest
                {
                    To = destination,
                    Snapshots = run.Get(snapshots) ?? [],
                }, progress, ct));
            if (run.Json)
            {
                run.Output.WriteJson(result);
                return ExitCodes.Ok;
            }
            Print(run.Output, result);
            return ExitCodes.Ok;
        });
        return command.WithExitCodes(ExitCodes.Ok, ExitCodes.Failed, ExitCodes.Usage, ExitCodes.Repository,
            ExitCodes.Locked, ExitCodes.StorageUnavailable, ExitCodes.WrongPassphrase, ExitCodes.Integrity,
            ExitCodes.Cancelled);
    }

    /// <summary>What a copy did, in a few lines (also after a backup with 'copy-to').</summary>
    public static void Print(Output output, CopyResult result)
    {
        foreach (var copied in result.Copied)
            output.Line($"copied snapshot {copied.Source} to {result.Destination} as {copied.Destination}");
        if (result.AlreadyThere.Count > 0)
            output.Line($"already in {result.Destination}: {string.Join(", ", result.AlreadyThere)}");
        output.Line($"  sent       {Format.Bytes(result.BytesSent)} in {result.ChunksSent} chunks; {result.ChunksReused} chunks were already there");
        if (result.EventsCopied > 0)
            output.Line($"  registry   {result.EventsCopied} ruleset record(s)");
        if (result.DrillsCopied > 0)
            output.Line($"  drills     {result.DrillsCopied} restore drill record(s) of copied snapshots");
    }
}
