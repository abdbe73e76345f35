using System.Globalization;
using System.Text.RegularExpressions;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>The facts of a base backup's backup_label file, as the server wrote it.</summary>
public sealed partial record BackupLabel(Lsn StartLsn, string StartWalFile, int Timeline, string Text)
{
    public const string FileName = "backup_label";

    public static BackupLabel Parse(string text)
    {
        var start = StartPattern().Match(text);
        var timeline = TimelinePattern().Match(text);
        if (!start.Success || !timeline.Success)
            throw new BulwarkException(ErrorKind.Failed, "the base backup's backup_label lacks its start position or timeline",
                "check that the server is PostgreSQL 15 or later and report the label's text");
        return new BackupLabel(Lsn.Parse(start.Groups[1].Value), start.Groups[2].Value,
            int.Parse(timeline.Groups[1].Value, CultureInfo.InvariantCulture), text);
    }

    [GeneratedRegex(@"^START WAL LOCATION: ([0-9A-Fa-f]+/[0-9A-Fa-f]+) \(file ([0-9A-F]{24})\)", RegexOptions.Multiline)]
    private static partial Regex StartPattern();

    [GeneratedRegex(@"^START TIMELINE: ([0-9]+)", RegexOptions.Multiline)]
    private static partial Regex TimelinePattern();
}
