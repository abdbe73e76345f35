using System.Globalization;
using System.Text;

namespace Bulwark.Operations.Wal;

/// <summary>
/// A timeline's history file (TTTTTTTT.history): for each ancestor timeline, the LSN where the next one branched
/// off. Lines are "parentTLI switchpoint reason"; '#' starts a comment.
/// </summary>
public sealed class WalTimelineHistory
{
    private WalTimelineHistory(uint timeline, IReadOnlyList<(uint Timeline, ulong SwitchLsn)> ancestors)
    {
        Timeline = timeline;
        Ancestors = ancestors;
    }

    public uint Timeline { get; }

    /// <summary>Ancestors, oldest first, each with the LSN where its successor begins.</summary>
    public IReadOnlyList<(uint Timeline, ulong SwitchLsn)> Ancestors { get; }

    /// <summary>A timeline without a history file: timeline 1, or one whose history is not archived.</summary>
    public static WalTimelineHistory Root(uint timeline) => new(timeline, []);

    public static WalTimelineHistory Parse(uint timeline, ReadOnlySpan<byte> content)
    {
        var ancestors = new List<(uint, ulong)>();
        foreach (var raw in Encoding.UTF8.GetString(content).Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = line.Split((char[])['\t', ' '], 3, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !uint.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) ||
                !TryParseLsn(fields[1], out var lsn))
                throw new BulwarkException(ErrorKind.Integrity, $"the history file of timeline {timeline} has a line that does not parse: '{line}'",
                    "the archived history file is damaged; the server's pg_wal may hold a good copy");
            ancestors.Add((parent, lsn));
        }
        return new WalTimelineHistory(timeline, ancestors);
    }

    /// <summary>The timelines in this history's line, oldest first, each with the first LSN on it.</summary>
    public IReadOnlyList<(uint Timeline, ulong Begin)> Line()
    {
        var line = new List<(uint, ulong)>();
        ulong begin = 0;
        foreach (var (ancestor, switchLsn) in Ancestors)
        {
            line.Add((ancestor, begin));
            begin = switchLsn;
        }
        line.Add((Timeline, begin));
        return line;
    }

    /// <summary>"X/Y" as PostgreSQL prints an LSN.</summary>
    public static bool TryParseLsn(string? text, out ulong lsn)
    {
        lsn = 0;
        var slash = text?.IndexOf('/') ?? -1;
        if (slash <= 0 ||
            !uint.TryParse(text.AsSpan(0, slash), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high) ||
            !uint.TryParse(text.AsSpan(slash + 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
            return false;
        lsn = ((ulong)high << 32) | low;
        return true;
    }

    public static string FormatLsn(ulong lsn) => $"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}";
}
