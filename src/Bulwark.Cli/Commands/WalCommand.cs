using System.CommandLine;

namespace Bulwark.Cli.Commands;

/// <summary>'bulwark wal …': the WAL archive, for archive_command and restore_command.</summary>
public static class WalCommand
{
    /// <summary>How PostgreSQL's commands find the configuration, for the help texts.</summary>
    internal const string ConfigHelp =
        "PostgreSQL runs it in the data directory as its own user, so name the configuration with an absolute path: " +
        "--config /abs/bulwark.yml (or BULWARK_CONFIG in the server's environment); the passphrase of an encrypted " +
        "repository comes from BULWARK_PASSWORD_FILE or BULWARK_PASSWORD_COMMAND named in that configuration's environment.";

    public static Command Create() =>
        new("wal",
            "The WAL archive for point-in-time recovery: 'wal push' is archive_command, 'wal fetch' is restore_command.")
        {
            WalPushCommand.Create(),
            WalFetchCommand.Create(),
            WalAheadCommand.Create(),
        };
}
