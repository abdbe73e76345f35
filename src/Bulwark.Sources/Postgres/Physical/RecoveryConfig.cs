using System.Text;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>
/// Turns a restored data folder into one that recovers when started: recovery.signal, and restore_command, the target
/// and the timeline appended to postgresql.auto.conf (read last, so they win over the copied configuration).
/// </summary>
public static class RecoveryConfig
{
    public const string AutoConfFile = "postgresql.auto.conf";
    public const string SignalFile = "recovery.signal";

    /// <param name="timeline">recovery_target_timeline (<see cref="Timeline"/>): 'latest' follows the archived history files.</param>
    public static async Task WriteAsync(string dataDirectory, string restoreCommand, RecoveryTarget target,
        CancellationToken cancellationToken, string timeline = "latest")
    {
        var lines = new List<string>
        {
            "",
            "# Recovery settings written by 'bulwark restore --to-dir'.",
            $"restore_command = {Quote(restoreCommand)}",
            $"recovery_target_timeline = {Quote(Timeline(timeline))}",
        };
        lines.AddRange(target.ConfigLines());
        await AppendAsync(dataDirectory, lines, cancellationToken).ConfigureAwait(false);
        var signal = Path.Combine(dataDirectory, SignalFile);
        await File.WriteAllBytesAsync(signal, [], cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(signal, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>
    /// A recovery_target_timeline: "latest" (the newest timeline in the archive that descends from the base backup's),
    /// "current" (the base backup's own) or a timeline number; anything else is refused.
    /// </summary>
    public static string Timeline(string value)
    {
        var text = value.Trim().ToLowerInvariant();
        if (text is "latest" or "current")
            return text;
        if (uint.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) && number >= 1)
            return number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        throw new BulwarkException(ErrorKind.Usage, $"'{value}' is not a timeline",
            "give 'latest' (the default), 'current' (the base backup's timeline) or a timeline number such as 1");
    }

    /// <summary>Appends settings to postgresql.auto.conf (mode 0600).</summary>
    public static async Task AppendAsync(string dataDirectory, IEnumerable<string> lines, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDirectory, AutoConfFile);
        await File.AppendAllLinesAsync(path, lines, cancellationToken).ConfigureAwait(false);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>A postgresql.conf string literal: single quotes doubled, backslashes escaped.</summary>
    public static string Quote(string value) => "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// The restore_command that runs a fetch (<paramref name="words"/>, see <see cref="ShellCommand"/>) whose exit
    /// status 1 means "not archived". PostgreSQL takes any status up to 125 as "not archived" and ends recovery there,
    /// then promotes: a repository that cannot be read or a damaged segment must stop recovery instead, so every other
    /// failure becomes 126, which PostgreSQL takes as fatal (and a status above 125, a signal, is kept).
    /// </summary>
    public static string FetchCommand(IEnumerable<string> words) =>
        ShellCommand(words) + "; s=$?; if [ $s -gt 1 ] && [ $s -le 125 ]; then exit 126; fi; exit $s";

    /// <summary>
    /// A restore_command that runs <paramref name="words"/> (the program and its arguments) through the shell, each
    /// word single-quoted (so that spaces and quotes in paths are safe) and '%' doubled where PostgreSQL would replace
    /// it; "%f" and "%p" are passed as given.
    /// </summary>
    public static string ShellCommand(IEnumerable<string> words)
    {
        var command = new StringBuilder();
        foreach (var word in words)
        {
            if (command.Length > 0)
                command.Append(' ');
            if (word is "%f" or "%p" or "%r")
                command.Append('"').Append(word).Append('"');
            else
                command.Append('\'').Append(word.Replace("%", "%%", StringComparison.Ordinal).Replace("'", "'\\''", StringComparison.Ordinal)).Append('\'');
        }
        return command.ToString();
    }
}
