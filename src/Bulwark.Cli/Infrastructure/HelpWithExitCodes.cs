using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// Appends a command's exit codes to its --help (the overview stays short; the root's help lists them all).
/// </summary>
public static class HelpWithExitCodes
{
    private static readonly ConditionalWeakTable<Command, int[]> Codes = new();

    /// <summary>Declares which exit codes <paramref name="command"/> uses; returns it.</summary>
    public static Command WithExitCodes(this Command command, params int[] codes)
    {
        // Whatever opens a repository (3) can also meet unreachable storage (6) and a wrong passphrase (8).
        if (codes.Contains(ExitCodes.Repository))
            codes = codes.Union([ExitCodes.StorageUnavailable, ExitCodes.WrongPassphrase]).Order().ToArray();
        Codes.AddOrUpdate(command, codes);
        return command;
    }

    public static void Install(RootCommand root)
    {
        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction inner } help)
                help.Action = new Appending(inner);
        }
    }

    /// <summary>True when the parsed command line asks for help (parse errors then do not matter).</summary>
    public static bool IsHelp(CommandLineAction? action) => action is HelpAction or Appending;

    private sealed class Appending(HelpAction inner) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            var result = inner.Invoke(parseResult);
            var command = parseResult.CommandResult.Command;
            var codes = command is RootCommand
                ? []
                : Codes.TryGetValue(command, out var declared) ? declared : null;
            if (codes is null)
                return result;
            var output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Exit codes:");
            foreach (var (code, meaning) in ExitCodes.Table.Where(t => codes.Length == 0 || codes.Contains(t.Code)))
                output.WriteLine($"  {code,-4} {meaning}");
            output.WriteLine();
            return result;
        }
    }
}
