using System.IO.Hashing;
using System.Text;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// One object of a dump's table of contents as restore drills compare it: its kind, schema and name, its owner, and
/// the hash of its definition. Entries that describe the database itself (its name, settings and comment), the
/// session settings, and the data entries (compared through their fingerprints) are left out.
/// </summary>
public sealed record SchemaObject(string Kind, string Schema, string Name, string? Owner, UInt128 Hash)
{
    /// <summary>
    /// For a table: the hash of its definition with the column list and the statements after it in a canonical
    /// order, so that two definitions that differ only in column order have the same one; null for other objects.
    /// </summary>
    public UInt128? ColumnOrderFreeHash { get; init; }

    private static readonly HashSet<string> NotCompared = new(StringComparer.Ordinal)
    {
        "ENCODING", "STDSTRINGS", "SEARCHPATH", "DATABASE", "DATABASE PROPERTIES",
        "TABLE DATA", "SEQUENCE SET", "BLOBS", "BLOB", "BLOB METADATA",
    };

    /// <summary>The key that identifies the object across databases.</summary>
    public (string Kind, string Schema, string Name) Key => (Kind, Schema, Name);

    /// <summary>"index public.accounts_pkey".</summary>
    public string Display => $"{Kind.ToLowerInvariant()} {(Schema.Length == 0 ? Name : $"{Schema}.{Name}")}";

    /// <summary>True for entries that are part of the schema comparison.</summary>
    public static bool IsCompared(ArchiveTocEntry entry)
    {
        if (NotCompared.Contains(entry.Description))
            return false;
        // Comments, labels and privileges of the database itself name the database, which differs after a restore.
        return !entry.Tag.StartsWith("DATABASE ", StringComparison.Ordinal);
    }

    public static SchemaObject From(ArchiveTocEntry entry)
    {
        var key = $"{entry.Description}\0{entry.Namespace}\0{entry.Tag}\0";
        var hash = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(key + entry.Definition));
        return new SchemaObject(entry.Description, entry.Namespace ?? "", entry.Tag, entry.Owner, hash)
        {
            ColumnOrderFreeHash = entry.Description is "TABLE" or "FOREIGN TABLE"
                ? XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(key + WithoutColumnOrder(entry.Definition ?? "")))
                : null,
        };
    }

    /// <summary>
    /// A table definition as pg_dump writes it ("CREATE TABLE t (\n    a integer,\n    b text\n)\nINHERITS (p);\n" and
    /// per-column statements after it) with the elements of its column list sorted and the lines after the list
    /// sorted: column order is all it forgets. A definition without a column list is returned as it is.
    /// </summary>
    internal static string WithoutColumnOrder(string definition)
    {
        var open = -1;
        var quote = '\0';
        for (var i = 0; i < definition.Length - 1 && open < 0; i++)
        {
            var c = definition[i];
            if (quote != '\0')
                quote = c == quote ? '\0' : quote;
            else if (c is '\'' or '"')
                quote = c;
            else if (c == '(' && definition[i + 1] == '\n')
                open = i;
        }
        if (open < 0)
            return definition;
        var elements = new List<string>();
        var depth = 0;
        var start = open + 1;
        quote = '\0';
        for (var i = open + 1; i < definition.Length; i++)
        {
            var c = definition[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
                continue;
            }
            switch (c)
            {
                case '\'' or '"':
                    quote = c;
                    break;
                case '(':
                    depth++;
                    break;
                case ',' when depth == 0:
                    elements.Add(definition[start..i].Trim());
                    start = i + 1;
                    break;
                case ')' when depth > 0:
                    depth--;
                    break;
                case ')':
                    elements.Add(definition[start..i].Trim());
                    var rest = definition[(i + 1)..].Split('\n').Order(StringComparer.Ordinal);
                    return $"{definition[..open]}(\0{string.Join("\0", elements.Order(StringComparer.Ordinal))}\0)\0{string.Join("\0", rest)}";
            }
        }
        return definition;
    }

    public static IReadOnlyList<SchemaObject> FromEntries(IEnumerable<ArchiveTocEntry> entries) =>
        entries.Where(IsCompared).Select(From).ToList();
}
