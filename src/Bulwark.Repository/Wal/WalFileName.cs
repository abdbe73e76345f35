using System.Globalization;

namespace Bulwark.Repository.Wal;

/// <summary>
/// The name of a file PostgreSQL archives (what archive_command gets as %f), read into its timeline and, for the
/// files tied to a segment, the segment's log and number. Only names PostgreSQL makes are accepted, so a name is
/// also safe as part of an object name.
/// </summary>
public readonly record struct WalFileName
{
    private WalFileName(string name, WalFileKind kind, uint timeline, uint log, uint segment)
    {
        Name = name;
        Kind = kind;
        Timeline = timeline;
        Log = log;
        Segment = segment;
    }

    public string Name { get; }
    public WalFileKind Kind { get; }
    public uint Timeline { get; }

    /// <summary>The XXXXXXXX part of the segment's name (0 for a history file).</summary>
    public uint Log { get; }

    /// <summary>The YYYYYYYY part of the segment's name (0 for a history file).</summary>
    public uint Segment { get; }

    /// <summary>The segment this file belongs to (its first 24 characters); null for a history file.</summary>
    public string? SegmentName => Kind == WalFileKind.History ? null : Name[..24];

    /// <summary>The segment's position counted from the start of WAL, for a segment size of <paramref name="segmentSize"/> bytes.</summary>
    public ulong SegmentNumber(long segmentSize) => Log * SegmentsPerLog(segmentSize) + Segment;

    /// <summary>The first LSN in the segment.</summary>
    public ulong StartLsn(long segmentSize) => SegmentNumber(segmentSize) * (ulong)segmentSize;

    /// <summary>How many segments one XXXXXXXX step holds (256 for 16 MiB segments).</summary>
    public static ulong SegmentsPerLog(long segmentSize) => 0x1_0000_0000UL / (ulong)segmentSize;

    /// <summary>The segment's name on <paramref name="timeline"/> holding LSN <paramref name="lsn"/>.</summary>
    public static WalFileName ForLsn(uint timeline, ulong lsn, long segmentSize) =>
        ForSegmentNumber(timeline, lsn / (ulong)segmentSize, segmentSize);

    public static WalFileName ForSegmentNumber(uint timeline, ulong number, long segmentSize)
    {
        var perLog = SegmentsPerLog(segmentSize);
        var log = (uint)(number / perLog);
        var segment = (uint)(number % perLog);
        return new WalFileName($"{timeline:X8}{log:X8}{segment:X8}", WalFileKind.Segment, timeline, log, segment);
    }

    public override string ToString() => Name;

    public static WalFileName Parse(string name) =>
        TryParse(name, out var parsed)
            ? parsed
            : throw new BulwarkException(ErrorKind.Usage, $"'{name}' is not the name of a WAL file",
                "archive_command passes %p (and restore_command %f): a segment, a .partial, .history or .backup file");

    public static bool TryParse(string? name, out WalFileName parsed)
    {
        parsed = default;
        if (name is null)
            return false;
        if (name.Length == 16 && name.EndsWith(".history", StringComparison.Ordinal) && Hex(name, 0, out var historyTimeline))
        {
            parsed = new WalFileName(name, WalFileKind.History, historyTimeline, 0, 0);
            return true;
        }
        if (name.Length < 24 || !Hex(name, 0, out var timeline) || !Hex(name, 8, out var log) || !Hex(name, 16, out var segment))
            return false;
        var rest = name.AsSpan(24);
        WalFileKind kind;
        if (rest.IsEmpty)
            kind = WalFileKind.Segment;
        else if (rest.SequenceEqual(".partial"))
            kind = WalFileKind.Partial;
        else if (rest.Length == 16 && rest[0] == '.' && rest.EndsWith(".backup") && IsHex(rest.Slice(1, 8)))
            kind = WalFileKind.BackupLabel;
        else
            return false;
        parsed = new WalFileName(name, kind, timeline, log, segment);
        return true;
    }

    // PostgreSQL writes these digits in upper case.
    private static bool Hex(string name, int start, out uint value)
    {
        value = 0;
        var digits = name.AsSpan(start, 8);
        return IsHex(digits) && uint.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
    }

    private static bool IsHex(ReadOnlySpan<char> digits)
    {
        foreach (var c in digits)
        {
            if (c is not (>= '0' and <= '9' or >= 'A' and <= 'F'))
                return false;
        }
        return true;
    }
}
