using System.IO.Hashing;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Counts and hashes the rows of one table's COPY text as it streams past: each line (a row, without its newline) is
/// hashed with XxHash128 and the hashes are added modulo 2^128, so that row order does not matter and a duplicated
/// row counts twice. A line "\." ends the data (pg_dump writes it after the rows; a row can never be that line,
/// since COPY escapes a backslash as "\\").
/// With <see cref="FieldOrder"/> set, each row's fields are put in that order before hashing, so that rows copied
/// with their columns in another order hash as the same rows (a tab byte only ever separates fields: COPY escapes a
/// tab in a value as "\t").
/// </summary>
public sealed class CopyTextHasher
{
    private byte[] _partial = new byte[256];
    private int _partialLength;
    private bool _ended;
    private int[]? _fieldOrder;
    private int[] _fieldStarts = [];
    private int[] _fieldEnds = [];
    private byte[] _reordered = [];

    public long Rows { get; private set; }
    public UInt128 Sum { get; private set; }
    /// <summary>Bytes of row text seen (newlines included).</summary>
    public long Bytes { get; private set; }

    /// <summary>
    /// Which field of a row goes at each place of the hashed row (field <c>FieldOrder[i]</c> is hashed i-th); null
    /// to hash rows as they are. A row with another number of fields is hashed as it is. <see cref="Reset"/> clears it.
    /// </summary>
    public int[]? FieldOrder
    {
        get => _fieldOrder;
        set
        {
            _fieldOrder = value;
            if (value is not null && _fieldStarts.Length < value.Length)
            {
                _fieldStarts = new int[value.Length];
                _fieldEnds = new int[value.Length];
            }
        }
    }

    public void Reset()
    {
        _fieldOrder = null;
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
        Sum += XxHash128.HashToUInt128(_fieldOrder is null ? line : Reorder(line, _fieldOrder));
    }

    /// <summary>The row with its fields in <paramref name="order"/>, or as it is when its field count differs.</summary>
    private ReadOnlySpan<byte> Reorder(ReadOnlySpan<byte> line, int[] order)
    {
        var count = 0;
        var start = 0;
        while (true)
        {
            var tab = line[start..].IndexOf((byte)'\t');
            var end = tab < 0 ? line.Length : start + tab;
            if (count == order.Length)
                return line;
            _fieldStarts[count] = start;
            _fieldEnds[count] = end;
            count++;
            if (tab < 0)
                break;
            start = end + 1;
        }
        if (count != order.Length)
            return line;
        if (_reordered.Length < line.Length)
            _reordered = new byte[Math.Max(line.Length, _reordered.Length * 2)];
        var at = 0;
        for (var i = 0; i < order.Length; i++)
        {
            if (i > 0)
                _reordered[at++] = (byte)'\t';
            var field = line[_fieldStarts[order[i]].._fieldEnds[order[i]]];
            field.CopyTo(_reordered.AsSpan(at));
            at += field.Length;
        }
        return _reordered.AsSpan(0, at);
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
