using System.Globalization;
using System.Text;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// systemd user units for a schedule: per job a oneshot service that runs 'bulwark schedule run JOB' and a timer
/// with the job's cron expression as OnCalendar= (in the schedule's time zone; Persistent=true runs a run missed
/// while the machine was off once at the next boot, as the daemon does).
/// </summary>
public static class SystemdUnits
{
    /// <summary>File name → content of every unit. <paramref name="prefix"/> names them (prefix-backup.timer, …).</summary>
    public static IReadOnlyDictionary<string, string> Render(JobSchedule schedule, ScheduledCommand command, string prefix,
        string? timeZoneName)
    {
        var units = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var job in schedule.Jobs)
        {
            var calendars = ToOnCalendar(job);
            var zone = string.IsNullOrEmpty(timeZoneName) ? "" : " " + timeZoneName;
            var service = $"{prefix}-{job.Name}.service";
            units[service] = $"""
                # Written by 'bulwark schedule install --systemd' for {command.ConfigPath}; written again on the next install.
                [Unit]
                Description=Bulwark {job.Name} ({command.ConfigPath})

                [Service]
                Type=oneshot
                WorkingDirectory={Escape(command.WorkingDirectory)}
                ExecStart={string.Join(' ', command.For(job.Name).Select(Quote))}
                # SIGTERM cancels the job cleanly (a cancelled backup commits nothing); give it time to do so.
                TimeoutStopSec=120
                Nice=10

                """;
            var timer = new StringBuilder();
            timer.Append(CultureInfo.InvariantCulture, $"""
                # Written by 'bulwark schedule install --systemd' for {command.ConfigPath}; written again on the next install.
                [Unit]
                Description=Bulwark {job.Name} on schedule ({job.Expression}{zone})

                [Timer]

                """);
            foreach (var calendar in calendars)
                timer.Append("OnCalendar=").Append(calendar).Append(zone).Append('\n');
            timer.Append(CultureInfo.InvariantCulture, $"""
                Persistent=true
                Unit={service}

                [Install]
                WantedBy=timers.target

                """);
            units[$"{prefix}-{job.Name}.timer"] = timer.ToString();
        }
        return units;
    }

    /// <summary>The OnCalendar= values of a cron expression.</summary>
    public static IReadOnlyList<string> ToOnCalendar(ScheduledJob job)
    {
        var expression = job.Expression.Trim();
        if (expression.StartsWith('@'))
        {
            return expression switch
            {
                "@yearly" or "@annually" => ["*-01-01 00:00:00"],
                "@monthly" => ["*-*-01 00:00:00"],
                "@weekly" => ["Sun *-*-* 00:00:00"],
                "@daily" or "@midnight" => ["*-*-* 00:00:00"],
                "@hourly" => ["*-*-* *:00:00"],
                _ => throw Unsupported(job, $"{expression} has no systemd equivalent"),
            };
        }
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var seconds = fields.Length == 6 ? Field(job, fields[0], 0, 59, null) : "00";
        if (fields.Length == 6)
            fields = fields[1..];
        var minute = Field(job, fields[0], 0, 59, null);
        var hour = Field(job, fields[1], 0, 23, null);
        var dom = Field(job, fields[2], 1, 31, null);
        var month = Field(job, fields[3], 1, 12, Months);
        var dow = DayOfWeek(job, fields[4]);
        var time = $"{hour}:{minute}:{seconds}";
        // A day of month and a day of week together are refused when the schedule is read (cron and systemd disagree).
        return [$"{(dow is null ? "" : dow + " ")}*-{month}-{dom} {time}"];
    }

    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    private static readonly string[] Days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

    /// <summary>One numeric field: *, n, a-b, */s, a/s, a-b/s and lists of them.</summary>
    private static string Field(ScheduledJob job, string field, int min, int max, string[]? names)
    {
        if (field is "*" or "?")
            return "*";
        var parts = new List<string>();
        foreach (var part in field.Split(','))
        {
            var (range, step) = part.Split('/') switch
            {
                [var r] => (r, (string?)null),
                [var r, var s] when int.TryParse(s, out _) => (r, s),
                _ => throw Unsupported(job, $"'{field}' is not a field systemd understands"),
            };
            string value;
            if (range == "*")
                value = Pad(min);
            else if (range.Split('-') is [var a, var b])
                value = $"{Pad(Number(job, a, min, max, names))}..{Pad(Number(job, b, min, max, names))}";
            else
                value = Pad(Number(job, range, min, max, names));
            parts.Add(step is null ? value : $"{value}/{step}");
        }
        return string.Join(',', parts);
    }

    private static string? DayOfWeek(ScheduledJob job, string field)
    {
        if (field is "*" or "?")
            return null;
        var parts = new List<string>();
        foreach (var part in field.Split(','))
        {
            if (part.Contains('/', StringComparison.Ordinal))
                throw Unsupported(job, "a step in the day of week has no systemd equivalent");
            if (part.Split('-') is [var a, var b])
            {
                int from = Day(job, a), to = Day(job, b);
                if (to == 0 && from > 0)
                    to = 7; // "5-0" or "5-7": Friday to Sunday
                if (to < from)
                    throw Unsupported(job, $"the day range '{part}' wraps around the week");
                if (from == 0)
                {
                    // systemd's weeks start on Monday and it refuses "Sun..Wed": Sunday goes on its own.
                    parts.Add("Sun");
                    from = 1;
                    if (to == 7)
                        to = 6;
                    if (to == 0)
                        continue;
                }
                parts.Add(to == 7 ? $"{Days[from]}..Sat,Sun" : from == to ? Days[from] : $"{Days[from]}..{Days[to]}");
            }
            else
            {
                parts.Add(Days[Day(job, part) % 7]);
            }
        }
        return string.Join(',', parts);
    }

    private static int Day(ScheduledJob job, string text)
    {
        var index = Array.FindIndex(Days, d => d.Equals(text, StringComparison.OrdinalIgnoreCase));
        if (index >= 0)
            return index;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 7
            ? n
            : throw Unsupported(job, $"'{text}' is not a day of week systemd understands");
    }

    private static int Number(ScheduledJob job, string text, int min, int max, string[]? names)
    {
        if (names is not null)
        {
            var index = Array.FindIndex(names, n => n.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
                return index + min;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw Unsupported(job, $"'{text}' has no systemd equivalent (L, W and # do not translate)");
    }

    private static string Pad(int value) => value.ToString("00", CultureInfo.InvariantCulture);

    private static BulwarkException Unsupported(ScheduledJob job, string why) =>
        new(ErrorKind.Configuration, $"'schedule.{job.Name}: {job.Expression}' cannot be written as a systemd timer: {why}",
            "use plain fields (numbers, ranges, lists, steps), or run 'bulwark daemon' instead");

    /// <summary>systemd's quoting for ExecStart= ("…" with \ escapes; % is a specifier and is doubled).</summary>
    internal static string Quote(string value)
    {
        var escaped = Escape(value);
        return escaped.Any(c => char.IsWhiteSpace(c) || c is '"' or '\'' or '\\' or ';') || escaped.Length == 0
            ? "\"" + escaped.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : escaped;
    }

    private static string Escape(string value) => value.Replace("%", "%%", StringComparison.Ordinal);
}
