using System.Globalization;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// Which post-data items of a parallel restore can be built as soon as one table's rows are in (as pg_restore -j
/// builds a table's indexes while other tables still load), and which wait for every table: an item goes early with
/// table T when everything it depends on is T, schema objects created before any row, or items that go early with T
/// themselves. Anything that touches a second table (a foreign key), a table whose rows are not loaded by this restore
/// (a partitioned parent, a small table), or data that the archive's own pg_restore loads waits for the final pass.
/// </summary>
internal sealed class PostDataPlan
{
    /// <summary>pg_dump's section number of data entries (table data, sequence values, large objects).</summary>
    private const int SectionData = 3;

    private PostDataPlan(IReadOnlyDictionary<(string Schema, string Table), IReadOnlyList<string>> early, IReadOnlyList<string> final)
    {
        Early = early;
        Final = final;
    }

    /// <summary>Per table, the lines of pg_restore's list (-L) to build once its rows are in, in the archive's order.</summary>
    public IReadOnlyDictionary<(string Schema, string Table), IReadOnlyList<string>> Early { get; }

    /// <summary>The lines of every other post-data item, for one pg_restore -L -j N once all tables are in.</summary>
    public IReadOnlyList<string> Final { get; }

    /// <param name="toc">The schema archive's table of contents, with each entry's dependencies.</param>
    /// <param name="listing">pg_restore -l --section=post-data of that archive: the items a plain restore would build.</param>
    /// <param name="earlyTables">The tables whose items may go early.</param>
    public static PostDataPlan Build(IReadOnlyList<ArchiveTocEntry> toc, string listing,
        IReadOnlySet<(string Schema, string Table)> earlyTables)
    {
        var entries = new Dictionary<int, ArchiveTocEntry>();
        foreach (var entry in toc)
            entries.TryAdd(entry.DumpId, entry);
        var items = new List<(int Id, string Line)>();
        foreach (var raw in listing.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var end = line.IndexOf(';', StringComparison.Ordinal);
            if (end > 0 && int.TryParse(line.AsSpan(0, end).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                items.Add((id, line));
        }
        var listed = items.Select(i => i.Id).ToHashSet();
        var owners = new Dictionary<int, (string, string)?>();

        (string, string)? OwnerOf(int id)
        {
            if (owners.TryGetValue(id, out var known))
                return known;
            owners[id] = null; // a dependency cycle (none in pg_dump's archives) leaves the item for the final pass
            if (!entries.TryGetValue(id, out var entry))
                return null;
            (string, string)? owner = null;
            foreach (var dependency in entry.Dependencies)
            {
                if (!entries.TryGetValue(dependency, out var on))
                    continue; // not in the archive: nothing to wait for, as pg_restore treats it
                (string, string)? table;
                if (listed.Contains(dependency))
                    table = OwnerOf(dependency);
                else if (on.Description == "TABLE")
                    table = earlyTables.Contains((on.Namespace ?? "", on.Tag)) ? (on.Namespace ?? "", on.Tag) : null;
                else if (on.Section == SectionData)
                    table = null;
                else
                    continue; // a schema object, created before any row
                if (table is null || (owner is not null && owner != table))
                    return null;
                owner = table;
            }
            owners[id] = owner;
            return owner;
        }

        var early = new Dictionary<(string, string), List<string>>();
        var final = new List<string>();
        foreach (var (id, line) in items)
        {
            if (OwnerOf(id) is { } table)
            {
                if (!early.TryGetValue(table, out var lines))
                    early[table] = lines = [];
                lines.Add(line);
            }
            else
            {
                final.Add(line);
            }
        }
        return new PostDataPlan(early.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value), final);
    }
}
