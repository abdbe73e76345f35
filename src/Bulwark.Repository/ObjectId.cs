using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Bulwark.Repository;

/// <summary>A 32-byte content id (SHA-256, or HMAC-SHA-256 in an encrypted repository), printed as 64 hex digits.</summary>
public readonly struct ObjectId : IEquatable<ObjectId>, IComparable<ObjectId>
{
    public const int Size = 32;
    public const int HexLength = 64;

    private readonly ulong _a, _b, _c, _d;

    public ObjectId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
            throw new ArgumentException("an object id has 32 bytes", nameof(bytes));
        _a = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _b = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        _c = BinaryPrimitives.ReadUInt64BigEndian(bytes[16..]);
        _d = BinaryPrimitives.ReadUInt64BigEndian(bytes[24..]);
    }

    public static ObjectId Sha256(ReadOnlySpan<byte> data)
    {
        Span<byte> hash = stackalloc byte[Size];
        SHA256.HashData(data, hash);
        return new ObjectId(hash);
    }

    public static ObjectId Parse(string hex)
    {
        if (!TryParse(hex, out var id))
            throw new FormatException($"'{hex}' is not an object id (64 hex digits)");
        return id;
    }

    public static bool TryParse(string? hex, out ObjectId id)
    {
        id = default;
        if (hex is null || hex.Length != HexLength)
            return false;
        Span<byte> bytes = stackalloc byte[Size];
        if (Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done ||
            written != Size)
            return false;
        id = new ObjectId(bytes);
        return true;
    }

    /// <summary>The first byte, which names the chunk's folder.</summary>
    public int FirstByte => (int)(_a >> 56);

    public void CopyTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, _a);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], _d);
    }

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Writes the 64 hex digits of <see cref="ToString"/> into <paramref name="destination"/>.</summary>
    public void FormatHex(Span<char> destination)
    {
        Span<byte> bytes = stackalloc byte[Size];
        CopyTo(bytes);
        if (!Convert.TryToHexStringLower(bytes, destination, out _))
            throw new ArgumentException("an object id needs 64 characters", nameof(destination));
    }

    /// <summary>The first 8 hex digits, as snapshots are shown to people.</summary>
    public string ToShortString() => ToString()[..8];

    public bool Equals(ObjectId other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;
    public override bool Equals(object? obj) => obj is ObjectId other && Equals(other);
    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32) ^ (int)_b;
    public int CompareTo(ObjectId other)
    {
        var c = _a.CompareTo(other._a);
        if (c != 0) return c;
        c = _b.CompareTo(other._b);
        if (c != 0) return c;
        c = _c.CompareTo(other._c);
        return c != 0 ? c : _d.CompareTo(other._d);
    }

    public static bool operator ==(ObjectId left, ObjectId right) => left.Equals(right);
    public static bool operator !=(ObjectId left, ObjectId right) => !left.Equals(right);
    public static bool operator <(ObjectId left, ObjectId right) => left.CompareTo(right) < 0;
    public static bool operator >(ObjectId left, ObjectId right) => left.CompareTo(right) > 0;
    public static bool operator <=(ObjectId left, ObjectId right) => left.CompareTo(right) <= 0;
    public static bool operator >=(ObjectId left, ObjectId right) => left.CompareTo(right) >= 0;
}
