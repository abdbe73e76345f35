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
        var text = $"{entry.Description}\0{entry.Namespace}\0{entry.Tag}\0{entry.Definition}";
        var hash = XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(text));
        return new SchemaObject(entry.Description, entry.Namespace ?? "", entry.Tag, entry.Owner, hash);
    }

    public static IReadOnlyList<SchemaObject> FromEntries(IEnumerable<ArchiveTocEntry> entries) =>
        entries.Where(IsCompared).Select(From).ToList();
}
