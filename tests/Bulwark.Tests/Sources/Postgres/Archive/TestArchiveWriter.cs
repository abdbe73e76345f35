using System.Text;

namespace Bulwark.Tests.Sources.Postgres.Archive;

/// <summary>
/// Writes small custom-format archives of any version from 1.12 to 1.16 the way pg_dump's WriteHead, WriteToc and
/// the custom format's data blocks do (pg_backup_archiver.c, pg_backup_custom.c), for versions whose pg_dump is not
/// installed here.
/// </summary>
public sealed class TestArchiveWriter
{
    private readonly MemoryStream _out = new();
    private readonly int _minor;
    private const int IntSize = 4;
    private const int OffsetSize = 8;

    public TestArchiveWriter(int minor, int compression = 0)
    {
        _minor = minor;
        _out.Write("PGDMP"u8);
        _out.WriteByte(1);
        _out.WriteByte((byte)minor);
        _out.WriteByte(0);
        _out.WriteByte(IntSize);
        _out.WriteByte(OffsetSize);
        _out.WriteByte(1); // custom format
        if (minor >= 15)
            _out.WriteByte((byte)compression); // compression algorithm
        else
            Int(compression); // compression level
        foreach (var part in new[] { 5, 4, 3, 2, 1, 124, 0 })
            Int(part);
        String("db");
        String("15.1");
        String("15.1");
    }

    public TestArchiveWriter Toc(params (int Id, string Desc, string Ns, string Tag, string? Defn, bool Data)[] entries)
    {
        Int(entries.Length);
        foreach (var (id, desc, ns, tag, defn, data) in entries)
        {
            Int(id);
            Int(data ? 1 : 0);
            String("1259");
            String((16000 + id).ToString(System.Globalization.CultureInfo.InvariantCulture));
            String(tag);
            String(desc);
            Int(desc == "TABLE DATA" ? 2 : 1);
            String(defn ?? "");
            String("");
            String(desc == "TABLE DATA" ? $"COPY {ns}.{tag} (a) FROM stdin;\n" : null);
            String(ns);
            String("");
            if (_minor >= 14)
                String("heap");
            if (_minor >= 16)
                Int('r');
            String("postgres");
            String("false");
            String("1");
            String(null);
            _out.WriteByte(data ? (byte)1 : (byte)3); // offset flag: not set / no data
            _out.Write(new byte[OffsetSize]);
        }
        return this;
    }

    public TestArchiveWriter Data(int id, params string[] pieces)
    {
        _out.WriteByte(1);
        Int(id);
        foreach (var piece in pieces)
        {
            var bytes = Encoding.UTF8.GetBytes(piece);
            Int(bytes.Length);
            _out.Write(bytes);
        }
        Int(0);
        return this;
    }

    public TestArchiveWriter LargeObjects(int id, params (uint Oid, string Content)[] objects)
    {
        _out.WriteByte(3);
        Int(id);
        foreach (var (oid, content) in objects)
        {
            Int(unchecked((int)oid));
            var bytes = Encoding.UTF8.GetBytes(content);
            Int(bytes.Length);
            _out.Write(bytes);
            Int(0);
        }
        Int(0);
        return this;
    }

    public byte[] ToArray() => _out.ToArray();

    private void Int(int value)
    {
        _out.WriteByte(value < 0 ? (byte)1 : (byte)0);
        var magnitude = value < 0 ? unchecked((uint)-value) : (uint)value;
        for (var i = 0; i < IntSize; i++)
        {
            _out.WriteByte((byte)(magnitude & 0xFF));
            magnitude >>= 8;
        }
    }

    private void String(string? value)
    {
        if (value is null)
        {
            Int(-1);
            return;
        }
        var bytes = Encoding.UTF8.GetBytes(value);
        Int(bytes.Length);
        _out.Write(bytes);
    }
}
