using System.IO.Hashing;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Counts and hashes the rows of one table's COPY text as it streams past: each line (a row, without its newline) is
/// hashed with XxHash128 and the hashes are added modulo 2^128, so that row order does not matter and a duplicated
/// row counts twice. A line "\." ends the data (pg_dump writes it after the rows; a row can never be that line,
/// since COPY escapes a backslash as "\\").
/// </summary>
public sealed class CopyTextHasher
{
    private byte[] _partial = new byte[256];
    private int _partialLength;
    private bool _ended;

    public long Rows { get; private set; }
    public UInt128 Sum { get; private set; }
    /// <summary>Bytes of row text seen (newlines included).</summary>
    public long Bytes { get; private set; }

    public void Reset()
    {
        _partialLength = 0;
        _ended = false;
        Rows = 0;
        Sum = UInt128.Zero;
        Bytes = 0;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty && !_ended)
        {
            var newline = data.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Keep(data);
                return;
            }
            if (_partialLength > 0)
            {
                Keep(data[..newline]);
                Line(_partial.AsSpan(0, _partialLength));
                _partialLength = 0;
            }
            else
            {
                Line(data[..newline]);
            }
            data = data[(newline + 1)..];
        }
    }

    /// <summary>The data ended: a last line without a newline still counts as a row.</summary>
    public void Finish()
    {
        if (_partialLength > 0 && !_ended)
            Line(_partial.AsSpan(0, _partialLength));
        _partialLength = 0;
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.Length == 2 && line[0] == (byte)'\\' && line[1] == (byte)'.')
        {
            _ended = true;
            return;
        }
        Rows++;
        Bytes += line.Length + 1;
        Sum += XxHash128.HashToUInt128(line);
    }

    private void Keep(ReadOnlySpan<byte> data)
    {
        if (_partial.Length - _partialLength < data.Length)
            Array.Resize(ref _partial, Math.Max(_partial.Length * 2, _partialLength + data.Length));
        data.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength += data.Length;
    }

    /// <summary>32 lower-case hex digits.</summary>
    public static string Format(UInt128 value) => value.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);
}
