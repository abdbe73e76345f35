using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text.RegularExpressions;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Builds <see cref="DatabaseFingerprints"/> from an archive as <see cref="CustomArchiveParser"/> reads it: table data
/// through <see cref="CopyTextHasher"/>, large objects by (oid, content), sequence values from the SEQUENCE SET
/// entries, and the schema's shape from the table of contents.
/// </summary>
public sealed partial class FingerprintBuilder : IArchiveVisitor
{
    private readonly IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>>? _columnsOf;
    private readonly List<ArchiveTocEntry> _entries = [];
    private readonly List<TableFingerprint> _tables = [];
    private readonly List<string> _reordered = [];
    private readonly CopyTextHasher _rows = new();
    private readonly XxHash128 _largeObject = new();
    private ArchiveTocEntry? _table;
    private long _largeObjects;
    private long _largeObjectBytes;
    private UInt128 _largeObjectSum;

    public FingerprintBuilder()
    {
    }

    /// <summary>
    /// A builder that hashes each table's rows with their fields in the column order <paramref name="columnsOf"/>
    /// gives for it (another dump's, see <see cref="CopyColumns.FromEntries"/>), matching columns by name, so that a
    /// table whose columns are the same but in another order hashes as that dump did.
    /// </summary>
    public FingerprintBuilder(IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>>? columnsOf)
    {
        _columnsOf = columnsOf;
    }

    public ArchiveHeader? Header { get; private set; }
    public IReadOnlyList<ArchiveTocEntry> Entries => _entries;
    public bool TocComplete { get; private set; }
    public bool Ended { get; private set; }

    public void OnHeader(ArchiveHeader header) => Header = header;

    public void OnTocEntry(ArchiveTocEntry entry) => _entries.Add(entry);

    public void OnTocComplete() => TocComplete = true;

    public void OnTableDataStart(int dumpId, ArchiveTocEntry? entry)
    {
        _table = entry is { Description: "TABLE DATA" } ? entry : null;
        _rows.Reset();
        if (_table is not null && _columnsOf is not null &&
            _columnsOf.TryGetValue((_table.Namespace ?? "", _table.Tag), out var expected) &&
            CopyColumns.Parse(_table.CopyStatement) is { } actual &&
            CopyColumns.Reordering(expected, actual) is { } order)
        {
            _rows.FieldOrder = order;
            _reordered.Add(_table.QualifiedName);
        }
    }

    public void OnTableData(ReadOnlySpan<byte> data)
    {
        if (_table is not null)
            _rows.Append(data);
    }

    public void OnTableDataEnd()
    {
        if (_table is null)
            return;
        _rows.Finish();
        _tables.Add(new TableFingerprint
        {
            Schema = _table.Namespace ?? "",
            Name = _table.Tag,
            Rows = _rows.Rows,
            Hash = CopyTextHasher.Format(_rows.Sum),
            Bytes = _rows.Bytes,
        });
        _table = null;
    }

    public void OnLargeObjectStart(uint oid)
    {
        _largeObject.Reset();
        Span<byte> id = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(id, oid);
        _largeObject.Append(id);
    }

    public void OnLargeObjectData(ReadOnlySpan<byte> data)
    {
        _largeObject.Append(data);
        _largeObjectBytes += data.Length;
    }

    public void OnLargeObjectEnd()
    {
        _largeObjects++;
        _largeObjectSum += _largeObject.GetCurrentHashAsUInt128();
    }

    public void OnEnd() => Ended = true;

    /// <summary>The fingerprints of everything read.</summary>
    public DatabaseFingerprints Build(IReadOnlyDictionary<string, string>? textSettings = null) => new()
    {
        ArchiveVersion = Header?.Version,
        Tables = _tables.OrderBy(t => t.Schema, StringComparer.Ordinal).ThenBy(t => t.Name, StringComparer.Ordinal).ToList(),
        Sequences = Sequences(_entries),
        LargeObjects = _largeObjects == 0 && !_entries.Any(e => e.Description == "BLOBS")
            ? null
            : new LargeObjectsFingerprint { Count = _largeObjects, Hash = CopyTextHasher.Format(_largeObjectSum), Bytes = _largeObjectBytes },
        Schema = Shape(_entries),
        TextSettings = textSettings,
    };

    public ArchiveSummary Summary() =>
        new(Header ?? throw new InvalidOperationException("no header was read"), _entries, Build())
        {
            ColumnOrderChanged = _reordered.Order(StringComparer.Ordinal).ToList(),
        };

    /// <summary>Sequence values from "SELECT pg_catalog.setval('schema.name', 42, true);".</summary>
    public static IReadOnlyList<SequenceFingerprint> Sequences(IEnumerable<ArchiveTocEntry> entries)
    {
        var sequences = new List<SequenceFingerprint>();
        foreach (var entry in entries.Where(e => e.Description == "SEQUENCE SET"))
        {
            var match = SetvalPattern().Match(entry.Definition ?? "");
            if (!match.Success)
                continue;
            sequences.Add(new SequenceFingerprint
            {
                Schema = entry.Namespace ?? "",
                Name = entry.Tag,
                Value = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture),
                IsCalled = match.Groups[2].Value == "true",
            });
        }
        return sequences.OrderBy(s => s.Schema, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
    }

    public static SchemaShape Shape(IReadOnlyList<ArchiveTocEntry> entries)
    {
        var compared = entries.Where(SchemaObject.IsCompared).ToList();
        int Count(params string[] kinds) => compared.Count(e => kinds.Contains(e.Description, StringComparer.Ordinal));
        // Check constraints that pg_dump writes inside CREATE TABLE, one per line.
        var inlineChecks = compared.Where(e => e.Description == "TABLE")
            .Sum(e => CountOccurrences(e.Definition, "\n    CONSTRAINT "));
        var groups = compared.Select(SchemaObject.From)
            .GroupBy(o => o.Kind, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new ObjectGroupFingerprint
            {
                Count = g.Count(),
                Hash = CopyTextHasher.Format(g.Aggregate(UInt128.Zero, (sum, o) => sum + o.Hash)),
            }, StringComparer.Ordinal);
        return new SchemaShape
        {
            Tables = Count("TABLE", "FOREIGN TABLE"),
            Indexes = Count("INDEX"),
            Constraints = Count("CONSTRAINT", "FK CONSTRAINT", "CHECK CONSTRAINT") + inlineChecks,
            Functions = Count("FUNCTION", "PROCEDURE", "AGGREGATE"),
            Triggers = Count("TRIGGER", "EVENT TRIGGER"),
            Views = Count("VIEW", "MATERIALIZED VIEW"),
            Sequences = Count("SEQUENCE"),
            Schemas = Count("SCHEMA"),
            Extensions = Count("EXTENSION"),
            Objects = groups,
        };
    }

    private static int CountOccurrences(string? text, string value)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        var count = 0;
        for (var i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    [GeneratedRegex(@"setval\('(?:[^']|'')+',\s*(-?[0-9]+),\s*(true|false)\)")]
    private static partial Regex SetvalPattern();
}
