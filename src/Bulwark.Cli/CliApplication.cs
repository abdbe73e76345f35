using System.CommandLine;
using Bulwark.Cli.Commands;
using Bulwark.Cli.Infrastructure;

namespace Bulwark.Cli;

/// <summary>The command tree.</summary>
public static class CliApplication
{
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Bulwark: backup and recovery for PostgreSQL databases and the versioned configuration around them.");
        GlobalOptions.AddTo(root);
        HelpWithExitCodes.Install(root);
        foreach (var command in Commands())
            root.Subcommands.Add(command);
        return root;
    }

    private static IEnumerable<Command> Commands() =>
    [
        DemoCommand.Create(),
        InitCommand.Create(),
        BackupCommand.Create(),
        ListCommand.Create(),
        ShowCommand.Create(),
        RestoreCommand.Create(),
        VerifyCommand.Create(),
        CleanupCommand.Create(),
        TestRestoreCommand.Create(),
        LogCommand.Create(),
        UnlockCommand.Create(),
        RulesetCommand.Create(),
        ModulesCommand.Create(),
        KeyCommand.Create(),
        CopyCommand.Create(),
        CheckCommand.Create(),
        StatusCommand.Create(),
        ScheduleCommand.Create(),
        DaemonCommand.Create(),
        WalCommand.Create(),
    ];
}
