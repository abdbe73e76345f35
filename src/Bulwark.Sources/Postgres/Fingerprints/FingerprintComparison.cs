using Bulwark.Repository.Snapshots;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Compares what a backup holds (its fingerprints and its dump's table of contents) with what a restored database
/// holds (read back by <see cref="DatabaseReadBack"/>), table by table and object by object. A table whose columns
/// only changed order is not a difference: its definition is compared without column order, and its rows were read
/// back in the backup's column order (<see cref="ArchiveSummary.ColumnOrderChanged"/>).
/// </summary>
public static class FingerprintComparison
{
    /// <param name="expected">The snapshot's fingerprints.</param>
    /// <param name="expectedObjects">The objects of the snapshot's dump.</param>
    /// <param name="actual">The restored database, read back.</param>
    /// <param name="options">What to compare.</param>
    public static FingerprintComparisonResult Compare(DatabaseFingerprints expected,
        IReadOnlyList<SchemaObject> expectedObjects, ArchiveSummary actual, ComparisonOptions options)
    {
        var missing = new List<FingerprintDifference>();
        var data = new List<FingerprintDifference>();
        var changed = new List<FingerprintDifference>();
        var reordered = new SortedSet<string>(actual.ColumnOrderChanged, StringComparer.Ordinal);
        CompareObjects(expectedObjects, actual.Objects, options, missing, changed, reordered);
        CompareTables(expected.Tables, actual.Fingerprints.Tables, data);
        CompareSequences(expected.Sequences, actual.Fingerprints.Sequences, data);
        CompareLargeObjects(expected.LargeObjects, actual.Fingerprints.LargeObjects, data);
        // A table that differs in more than column order is a difference, not a note.
        var differing = missing.Concat(data).Concat(changed).Select(d => d.Object).ToHashSet(StringComparer.Ordinal);
        reordered.RemoveWhere(name => differing.Contains($"table {name}") || differing.Contains($"foreign table {name}"));
        return new FingerprintComparisonResult([.. missing, .. data, .. changed], [.. reordered]);
    }

    private static void CompareObjects(IReadOnlyList<SchemaObject> expected, IReadOnlyList<SchemaObject> actual,
        ComparisonOptions options, List<FingerprintDifference> missing, List<FingerprintDifference> changed,
        SortedSet<string> reordered)
    {
        bool Compared(SchemaObject o) => options.Privileges || o.Kind is not ("ACL" or "DEFAULT ACL");
        var left = expected.Where(Compared).ToLookup(o => o.Key);
        var right = actual.Where(Compared).ToLookup(o => o.Key);
        foreach (var group in left)
        {
            var mine = group.ToList();
            var theirs = right[group.Key].ToList();
            var sample = mine[0];
            if (theirs.Count == 0)
            {
                missing.Add(new FingerprintDifference(sample.Display, "missing from the restored database"));
                continue;
            }
            if (theirs.Count != mine.Count)
            {
                missing.Add(new FingerprintDifference(sample.Display, $"{theirs.Count} in the restored database, {mine.Count} in the backup"));
                continue;
            }
            if (options.Definitions && !mine.Select(o => o.Hash).Order().SequenceEqual(theirs.Select(o => o.Hash).Order()))
            {
                if (SameButColumnOrder(mine, theirs))
                    reordered.Add(sample.Schema.Length == 0 ? sample.Name : $"{sample.Schema}.{sample.Name}");
                else
                    changed.Add(new FingerprintDifference(sample.Display, "definition differs from the backup"));
            }
            if (options.Owners && mine.Count == 1 && !string.Equals(mine[0].Owner, theirs[0].Owner, StringComparison.Ordinal))
                changed.Add(new FingerprintDifference(sample.Display, $"owner is {theirs[0].Owner ?? "(none)"}, the backup has {mine[0].Owner ?? "(none)"}"));
        }
        foreach (var group in right)
        {
            if (!left.Contains(group.Key))
                missing.Add(new FingerprintDifference(group.First().Display, "in the restored database but not in the backup"));
        }
    }

    private static bool SameButColumnOrder(List<SchemaObject> mine, List<SchemaObject> theirs) =>
        mine.Concat(theirs).All(o => o.ColumnOrderFreeHash is not null) &&
        mine.Select(o => o.ColumnOrderFreeHash!.Value).Order().SequenceEqual(theirs.Select(o => o.ColumnOrderFreeHash!.Value).Order());

    private static void CompareTables(IReadOnlyList<TableFingerprint> expected, IReadOnlyList<TableFingerprint> actual,
        List<FingerprintDifference> differences)
    {
        var restored = actual.ToDictionary(t => (t.Schema, t.Name));
        foreach (var table in expected)
        {
            var name = $"table {table.QualifiedName}";
            if (!restored.Remove((table.Schema, table.Name), out var other))
            {
                differences.Add(new FingerprintDifference(name, $"its rows are missing from the restored database (the backup holds {Rows(table.Rows)})"));
                continue;
            }
            if (other.Rows != table.Rows)
            {
                var delta = other.Rows - table.Rows;
                differences.Add(new FingerprintDifference(name,
                    $"{Rows(other.Rows)}, the backup holds {table.Rows:N0} ({Math.Abs(delta):N0} {(delta < 0 ? "missing" : "extra")}" +
                    (other.Hash == table.Hash ? ")" : "; contents differ too)")));
            }
            else if (other.Hash != table.Hash)
            {
                differences.Add(new FingerprintDifference(name, $"rows differ from the backup (same count, {Rows(table.Rows)}, different contents)"));
            }
        }
        // A table whose rows the backup left out (exclude-table-data) is restored empty: only rows are a difference.
        foreach (var extra in restored.Values.Where(t => t.Rows > 0).OrderBy(t => t.QualifiedName, StringComparer.Ordinal))
            differences.Add(new FingerprintDifference($"table {extra.QualifiedName}", $"{Rows(extra.Rows)} in the restored database, none in the backup"));
    }

    private static void CompareSequences(IReadOnlyList<SequenceFingerprint> expected, IReadOnlyList<SequenceFingerprint> actual,
        List<FingerprintDifference> differences)
    {
        var restored = actual.ToDictionary(s => (s.Schema, s.Name));
        foreach (var sequence in expected)
        {
            var name = $"sequence {sequence.QualifiedName}";
            if (!restored.Remove((sequence.Schema, sequence.Name), out var other))
                differences.Add(new FingerprintDifference(name, "its value is missing from the restored database"));
            else if (other.Value != sequence.Value || other.IsCalled != sequence.IsCalled)
                differences.Add(new FingerprintDifference(name, $"value {Value(other)}, the backup holds {Value(sequence)}"));
        }
        foreach (var extra in restored.Values.OrderBy(s => s.QualifiedName, StringComparer.Ordinal))
            differences.Add(new FingerprintDifference($"sequence {extra.QualifiedName}", "in the restored database but not in the backup"));
    }

    private static void CompareLargeObjects(LargeObjectsFingerprint? expected, LargeObjectsFingerprint? actual,
        List<FingerprintDifference> differences)
    {
        var count = expected?.Count ?? 0;
        var other = actual?.Count ?? 0;
        if (count != other)
            differences.Add(new FingerprintDifference("large objects", $"{other:N0} in the restored database, the backup holds {count:N0}"));
        else if (count > 0 && expected!.Hash != actual!.Hash)
            differences.Add(new FingerprintDifference("large objects", "contents differ from the backup"));
    }

    private static string Rows(long rows) => rows == 1 ? "1 row" : $"{rows:N0} rows";

    private static string Value(SequenceFingerprint s) => $"{s.Value} ({(s.IsCalled ? "called" : "not called")})";
}
