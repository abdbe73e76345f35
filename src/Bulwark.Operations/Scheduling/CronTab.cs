using System.Text;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// The crontab lines of a schedule, inside a block marked with the configuration file's path, so that installing
/// again replaces exactly that block and leaves every other line of the crontab as it was.
/// </summary>
public static class CronTab
{
    public const string EndMarker = "# END bulwark";
    private const string BeginPrefix = "# BEGIN bulwark ";

    public static string BeginMarker(string configPath) => BeginPrefix + configPath;

    /// <summary>The block for <paramref name="schedule"/>; a cron expression that cron cannot read is an error naming it.</summary>
    public static string Block(JobSchedule schedule, ScheduledCommand command, string logPath)
    {
        var text = new StringBuilder();
        text.Append(BeginMarker(command.ConfigPath)).Append('\n');
        text.Append("# Managed by 'bulwark schedule install --cron'; changes inside this block are replaced. Times are the system's time zone.\n");
        foreach (var job in schedule.Jobs)
        {
            CheckCronSyntax(job);
            var line = $"cd {Quote(command.WorkingDirectory)} && {string.Join(' ', command.For(job.Name).Select(Quote))} >> {Quote(logPath)} 2>&1";
            // cron ends the command at an unescaped '%'.
            text.Append(job.Expression).Append(' ').Append(line.Replace("%", "\\%", StringComparison.Ordinal)).Append('\n');
        }
        text.Append(EndMarker).Append('\n');
        return text.ToString();
    }

    /// <summary>
    /// The crontab with the block of <paramref name="configPath"/> replaced by <paramref name="block"/> (or removed
    /// when it is null); a crontab without one gets it appended. Other lines are kept byte for byte.
    /// </summary>
    public static string Apply(string existing, string configPath, string? block)
    {
        var lines = existing.Length == 0 ? [] : existing.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n').ToList();
        var begin = lines.FindIndex(l => l.TrimEnd() == BeginMarker(configPath));
        var kept = new List<string>(lines);
        var at = kept.Count;
        if (begin >= 0)
        {
            var end = lines.FindIndex(begin, l => l.TrimEnd() == EndMarker);
            if (end < 0)
                throw new BulwarkException(ErrorKind.Refused,
                    $"the crontab has '{BeginMarker(configPath)}' but no '{EndMarker}' after it",
                    "edit the crontab ('crontab -e') and remove or complete the damaged bulwark block");
            kept.RemoveRange(begin, end - begin + 1);
            at = begin;
        }
        if (block is not null)
            kept.InsertRange(at, block.TrimEnd('\n').Split('\n'));
        return kept.Count == 0 ? "" : string.Join('\n', kept) + "\n";
    }

    /// <summary>Whether the crontab holds a block for <paramref name="configPath"/>.</summary>
    public static bool Contains(string existing, string configPath) =>
        existing.Split('\n').Any(l => l.TrimEnd() == BeginMarker(configPath));

    private static void CheckCronSyntax(ScheduledJob job)
    {
        var expression = job.Expression;
        if (expression.StartsWith('@'))
        {
            if (expression is not ("@yearly" or "@annually" or "@monthly" or "@weekly" or "@daily" or "@midnight" or "@hourly"))
                throw Unsupported(job, "cron knows @yearly, @monthly, @weekly, @daily and @hourly");
            return;
        }
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
            throw Unsupported(job, "cron has no seconds field");
        foreach (var field in fields)
        {
            if (field.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '*' or ',' or '-' or '/')))
                throw Unsupported(job, "cron does not know # or ?");
            var words = field.Split(['*', ',', '-', '/', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Any(w => !Names.Contains(w)))
                throw Unsupported(job, "cron does not know L or W");
        }
    }

    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
        "sun", "mon", "tue", "wed", "thu", "fri", "sat",
    };

    private static BulwarkException Unsupported(ScheduledJob job, string why) =>
        new(ErrorKind.Configuration, $"'schedule.{job.Name}: {job.Expression}' cannot be written to a crontab: {why}",
            "use five plain fields, or install systemd units ('--systemd'), or run 'bulwark daemon'");

    /// <summary>Single quotes for /bin/sh.</summary>
    internal static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '=' or ':' or '+' or ',')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
