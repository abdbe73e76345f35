using System.Globalization;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>A WAL position (log sequence number) in PostgreSQL's text form "X/Y" (two hexadecimal halves).</summary>
public readonly record struct Lsn(ulong Value) : IComparable<Lsn>
{
    public static Lsn Parse(string text)
    {
        if (!TryParse(text, out var lsn))
            throw new BulwarkException(ErrorKind.Usage, $"'{text}' is not a WAL position",
                "write it as PostgreSQL prints it, e.g. 0/16B3748 (pg_current_wal_lsn())");
        return lsn;
    }

    public static bool TryParse(string? text, out Lsn lsn)
    {
        lsn = default;
        var parts = text?.Trim().Split('/');
        if (parts is not { Length: 2 } ||
            !uint.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high) ||
            !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
            return false;
        lsn = new Lsn(((ulong)high << 32) | low);
        return true;
    }

    /// <summary>The name of the WAL segment file that holds this position on <paramref name="timeline"/>.</summary>
    public string SegmentFileName(int timeline, long segmentSize)
    {
        var segment = Value / (ulong)segmentSize;
        var perId = 0x1_0000_0000UL / (ulong)segmentSize;
        return string.Create(CultureInfo.InvariantCulture, $"{timeline:X8}{segment / perId:X8}{segment % perId:X8}");
    }

    public int CompareTo(Lsn other) => Value.CompareTo(other.Value);

    public static bool operator <(Lsn a, Lsn b) => a.Value < b.Value;
    public static bool operator >(Lsn a, Lsn b) => a.Value > b.Value;
    public static bool operator <=(Lsn a, Lsn b) => a.Value <= b.Value;
    public static bool operator >=(Lsn a, Lsn b) => a.Value >= b.Value;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Value >> 32:X}/{Value & 0xFFFF_FFFF:X}");
}
