using System.Text;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// The columns of a table's data as a dump's COPY statement names them ("COPY public.t (id, "Name") FROM stdin;"), in
/// the dump's order. A drill uses the backup's lists to read a restored table back by column name: a dump and restore
/// can change a table's column order (a child table's inherited columns follow its parent's order after a restore).
/// </summary>
public static class CopyColumns
{
    /// <summary>Per table with data (schema, name): its columns in the order the dump copies them.</summary>
    public static IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>> FromEntries(IEnumerable<ArchiveTocEntry> entries)
    {
        var columns = new Dictionary<(string, string), IReadOnlyList<string>>();
        foreach (var entry in entries.Where(e => e.Description == "TABLE DATA"))
        {
            if (Parse(entry.CopyStatement) is { } list)
                columns[(entry.Namespace ?? "", entry.Tag)] = list;
        }
        return columns;
    }

    /// <summary>
    /// The column names (unquoted) of "COPY schema.table (a, "B c") FROM stdin;"; empty for a table without columns;
    /// null when the statement is not of that form.
    /// </summary>
    public static IReadOnlyList<string>? Parse(string? copyStatement)
    {
        if (copyStatement is null || !copyStatement.StartsWith("COPY ", StringComparison.Ordinal))
            return null;
        var at = 5;
        // The table's qualified name: identifiers, quoted or not, joined by dots.
        while (true)
        {
            if (Identifier(copyStatement, ref at) is null)
                return null;
            if (at < copyStatement.Length && copyStatement[at] == '.')
            {
                at++;
                continue;
            }
            break;
        }
        while (at < copyStatement.Length && copyStatement[at] == ' ')
            at++;
        if (copyStatement.AsSpan(at).StartsWith("FROM ", StringComparison.Ordinal))
            return [];
        if (at >= copyStatement.Length || copyStatement[at] != '(')
            return null;
        at++;
        var columns = new List<string>();
        while (true)
        {
            while (at < copyStatement.Length && copyStatement[at] == ' ')
                at++;
            if (Identifier(copyStatement, ref at) is not { } column)
                return null;
            columns.Add(column);
            if (at >= copyStatement.Length)
                return null;
            if (copyStatement[at] == ')')
                return columns;
            if (copyStatement[at] != ',')
                return null;
            at++;
        }
    }

    /// <summary>
    /// For rows copied with <paramref name="actual"/>'s columns, which field goes at each place of
    /// <paramref name="expected"/>'s order; null when the order is the same, or when the columns are not the same
    /// (then the rows are compared as they are, and differ).
    /// </summary>
    public static int[]? Reordering(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        if (expected.Count != actual.Count || expected.SequenceEqual(actual, StringComparer.Ordinal))
            return null;
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < actual.Count; i++)
        {
            if (!positions.TryAdd(actual[i], i))
                return null;
        }
        var order = new int[expected.Count];
        for (var i = 0; i < expected.Count; i++)
        {
            if (!positions.Remove(expected[i], out var position))
                return null;
            order[i] = position;
        }
        return order;
    }

    /// <summary>Reads one identifier at <paramref name="at"/>: "quoted ""name""" or a plain one; null if none.</summary>
    private static string? Identifier(string text, ref int at)
    {
        if (at >= text.Length)
            return null;
        if (text[at] == '"')
        {
            var name = new StringBuilder();
            var i = at + 1;
            while (i < text.Length)
            {
                if (text[i] == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"')
                    {
                        name.Append('"');
                        i += 2;
                        continue;
                    }
                    at = i + 1;
                    return name.ToString();
                }
                name.Append(text[i++]);
            }
            return null;
        }
        var start = at;
        while (at < text.Length && text[at] is not (' ' or '.' or ',' or '(' or ')' or '"'))
            at++;
        return at == start ? null : text[start..at];
    }
}
