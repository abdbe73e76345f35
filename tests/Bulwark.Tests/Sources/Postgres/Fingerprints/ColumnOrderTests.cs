using System.Text;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;

namespace Bulwark.Tests.Sources.Postgres.Fingerprints;

public sealed class ColumnOrderTests
{
    [Theory]
    [InlineData("COPY public.staff (id, name, badge, email) FROM stdin;\n", "id|name|badge|email")]
    [InlineData("COPY \"Weird Schema ü\".\"Mixed Case \"\"Quoted\"\" Table\" (\"Column With Spaces\", \"ÜberId\", \"a,b (c)\") FROM stdin;\n", "Column With Spaces|ÜberId|a,b (c)")]
    [InlineData("COPY public.no_columns  FROM stdin;\n", "")]
    public void CopyColumns_ReadsTheColumnNamesOfACopyStatement(string statement, string expected)
    {
        var columns = CopyColumns.Parse(statement);
        Assert.NotNull(columns);
        Assert.Equal(expected, string.Join('|', columns));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("SELECT 1;")]
    [InlineData("COPY public.t (id, \"unclosed FROM stdin;\n")]
    [InlineData("COPY public.t (id, name FROM stdin;\n")]
    public void CopyColumns_GivesNull_ForWhatIsNotACopyStatement(string? statement) =>
        Assert.Null(CopyColumns.Parse(statement));

    [Fact]
    public void Reordering_MapsColumnsByName_AndOnlyWhenTheSetIsTheSame()
    {
        Assert.Equal([0, 1, 3, 2], CopyColumns.Reordering(["id", "a", "c", "b"], ["id", "a", "b", "c"])!);
        Assert.Null(CopyColumns.Reordering(["id", "a"], ["id", "a"]));
        Assert.Null(CopyColumns.Reordering(["id", "a"], ["id", "b"]));
        Assert.Null(CopyColumns.Reordering(["id", "a"], ["id", "a", "b"]));
        Assert.Null(CopyColumns.Reordering(["id", "a", "a"], ["a", "id", "id"]));
    }

    private static (UInt128 Sum, long Rows, long Bytes) Hash(string text, int[]? order = null, int piece = 3)
    {
        var hasher = new CopyTextHasher();
        hasher.Reset();
        hasher.FieldOrder = order;
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var at = 0; at < bytes.Length; at += piece)
            hasher.Append(bytes.AsSpan(at, Math.Min(piece, bytes.Length - at)));
        hasher.Finish();
        return (hasher.Sum, hasher.Rows, hasher.Bytes);
    }

    [Fact]
    public void RowHash_OfRowsCopiedInAnotherColumnOrder_EqualsTheBackups_WhenReadInItsOrder()
    {
        // The backup copied (id, a, c, b); the restored table copies (id, a, b, c).
        const string backup = "1\tx\tcc\t5\n2\t\\N\tü\\tnot a field\t\n3\t\t\t\n\\.\n";
        const string restored = "1\tx\t5\tcc\n2\t\\N\t\tü\\tnot a field\n3\t\t\t\n\\.\n";
        var order = CopyColumns.Reordering(["id", "a", "c", "b"], ["id", "a", "b", "c"]);

        Assert.Equal(Hash(backup), Hash(restored, order));
        Assert.NotEqual(Hash(backup).Sum, Hash(restored).Sum);
        // A changed value still differs, and so does a row with a field too many or too few.
        Assert.NotEqual(Hash(backup).Sum, Hash(restored.Replace("cc", "cd", StringComparison.Ordinal), order).Sum);
        Assert.NotEqual(Hash(backup).Sum, Hash(restored.Replace("1\tx\t5\tcc", "1\tx\t5\tcc\t", StringComparison.Ordinal), order).Sum);
        Assert.NotEqual(Hash(backup).Sum, Hash(restored.Replace("1\tx\t5\tcc", "1\tx\t5", StringComparison.Ordinal), order).Sum);
    }

    private const string Staff = "CREATE TABLE public.staff (\n    badge text,\n    id integer NOT NULL,\n    note text DEFAULT 'a, b (c)'::text\n)\nINHERITS (public.people);\n";

    private static SchemaObject Table(string definition) => SchemaObject.From(new ArchiveTocEntry
    {
        DumpId = 1, HasData = false, Tag = "staff", Description = "TABLE", Namespace = "public", Definition = definition,
    });

    [Fact]
    public void TableDefinition_WithOnlyItsColumnsReordered_HasTheSameColumnOrderFreeHash()
    {
        var reordered = Table("CREATE TABLE public.staff (\n    id integer NOT NULL,\n    note text DEFAULT 'a, b (c)'::text,\n    badge text\n)\nINHERITS (public.people);\n");
        var original = Table(Staff);
        Assert.NotEqual(original.Hash, reordered.Hash);
        Assert.Equal(original.ColumnOrderFreeHash, reordered.ColumnOrderFreeHash);
    }

    [Theory]
    [InlineData("missing column", "    badge text,\n", "")]
    [InlineData("changed type", "id integer NOT NULL", "id bigint NOT NULL")]
    [InlineData("dropped not null", "id integer NOT NULL", "id integer")]
    [InlineData("changed default", "'a, b (c)'", "'a, c (b)'")]
    [InlineData("other parent", "INHERITS (public.people)", "INHERITS (public.persons)")]
    public void TableDefinition_ThatDiffersInMoreThanColumnOrder_HasAnotherColumnOrderFreeHash(string change, string from, string to)
    {
        var changed = Table(Staff.Replace(from, to, StringComparison.Ordinal));
        Assert.NotEqual(Staff, Staff.Replace(from, to, StringComparison.Ordinal));
        Assert.True(Table(Staff).ColumnOrderFreeHash != changed.ColumnOrderFreeHash, change);
    }

    [Fact]
    public void ColumnOrderFreeHash_IsOnlyForTables()
    {
        var index = SchemaObject.From(new ArchiveTocEntry
        {
            DumpId = 2, HasData = false, Tag = "staff_idx", Description = "INDEX", Namespace = "public",
            Definition = "CREATE INDEX staff_idx ON public.staff USING btree (id, badge);\n",
        });
        Assert.Null(index.ColumnOrderFreeHash);
        Assert.NotNull(Table(Staff).ColumnOrderFreeHash);
    }
}
