using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Parallel;
using Bulwark.Sources.Processes;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Parallel;

public sealed class PostDataPlanTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Objects of every kind that pg_restore builds after the rows, on tables that load early or not.</summary>
    public const string Sql = """
        CREATE TABLE big (id int PRIMARY KEY, v text);
        CREATE INDEX big_v ON big (v);
        COMMENT ON INDEX big_v IS 'the v index';
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
        CREATE TRIGGER big_touch BEFORE UPDATE ON big FOR EACH ROW EXECUTE FUNCTION touch();
        ALTER TABLE big ENABLE ROW LEVEL SECURITY;
        CREATE POLICY big_read ON big FOR SELECT USING (id > 0);
        CREATE TABLE child (id int PRIMARY KEY, big_id int REFERENCES big, n int);
        CREATE INDEX child_n ON child (n);
        CREATE TABLE small (id int PRIMARY KEY);
        CREATE TABLE m (id int, at date NOT NULL) PARTITION BY RANGE (at);
        CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE INDEX m_at ON m (at);
        CREATE INDEX m_2025_id ON m_2025 (id);
        CREATE MATERIALIZED VIEW big_count AS SELECT count(*) AS n FROM big;
        INSERT INTO big SELECT g, 'v' || g FROM generate_series(1, 100) g;
        INSERT INTO child SELECT g, g, g % 7 FROM generate_series(1, 100) g;
        INSERT INTO small VALUES (1);
        INSERT INTO m VALUES (1, '2025-03-01');
        """;

    /// <summary>pg_dump's archive of <see cref="Sql"/>: its table of contents and pg_restore's list of its post-data items.</summary>
    private async Task<(IReadOnlyList<ArchiveTocEntry> Toc, string Listing)> DumpAsync()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("plan");
        await pg.ExecuteAsync(database, Sql);
        var archive = dir.Combine("db.dump");
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, Ct);
        var (pgRestore, _) = await new PgTools().FindAsync("pg_restore", null, Ct);
        await ProcessRunner.RunAsync(pgDump, ["--format=custom", "--compress=0", $"--file={archive}", database],
            pg.Server.Settings(database).ToEnvironment(), Ct);
        var listing = await ProcessRunner.RunAsync(pgRestore, ["--list", "--section=post-data", archive], null, Ct);
        var toc = new FingerprintBuilder();
        new CustomArchiveParser(toc).Feed(await File.ReadAllBytesAsync(archive, Ct));
        return (toc.Entries, listing);
    }

    private static List<string> Items(string listing) => listing.Split('\n').Where(l => l.Length > 0 && l[0] != ';').ToList();

    [Fact]
    public async Task ATablesOwnItems_AreBuiltEarly_AndWhatSpansTablesOrWaitsForOtherRows_AtTheEnd()
    {
        var (toc, listing) = await DumpAsync();

        // pg_dump's section numbers, which the plan reads: data entries are 3, post-data entries 4.
        Assert.All(toc.Where(e => e.Description is "TABLE DATA" or "SEQUENCE SET"), e => Assert.Equal(3, e.Section));
        Assert.All(toc.Where(e => e.Description is "INDEX" or "FK CONSTRAINT"), e => Assert.Equal(4, e.Section));

        var plan = PostDataPlan.Build(toc, listing, new HashSet<(string, string)> { ("public", "big"), ("public", "child"), ("public", "m_2025") });

        static void Holds(IReadOnlyList<string> lines, params string[] items) =>
            Assert.All(items, item => Assert.Contains(lines, l => l.Contains(item, StringComparison.Ordinal)));
        Holds(plan.Early[("public", "big")], "CONSTRAINT public big big_pkey", "INDEX public big_v", "COMMENT public INDEX big_v",
            "TRIGGER public big big_touch", "ROW SECURITY public big", "POLICY public big big_read");
        Holds(plan.Early[("public", "child")], "CONSTRAINT public child child_pkey", "INDEX public child_n");
        Holds(plan.Early[("public", "m_2025")], "INDEX public m_2025_id");
        // A foreign key needs both tables' rows and the other's key; a partitioned parent's index (and the partitions'
        // indexes that belong to it) a table with no rows of its own; the small table is not loaded early; a
        // materialized view reads other tables.
        Holds(plan.Final, "FK CONSTRAINT public child child_big_id_fkey", "INDEX public m_at", "INDEX public m_2025_at_idx",
            "INDEX ATTACH public m_2025_at_idx",
            "CONSTRAINT public small small_pkey", "MATERIALIZED VIEW DATA public big_count");
        Assert.Equal(3, plan.Early.Count);

        // Every item pg_restore lists goes exactly once, early or at the end.
        var listed = Items(listing);
        Assert.Equal(listed.Order(StringComparer.Ordinal), plan.Early.Values.SelectMany(l => l).Concat(plan.Final).Order(StringComparer.Ordinal));
        // Each table's items keep the archive's order, which pg_dump sorted by dependency.
        Assert.All(plan.Early.Values, lines => Assert.Equal(listed.Where(lines.Contains), lines));
    }

    [Fact]
    public async Task WithNoTableEarly_EverythingIsBuiltAtTheEnd()
    {
        var (toc, listing) = await DumpAsync();

        var plan = PostDataPlan.Build(toc, listing, new HashSet<(string, string)>());

        Assert.Empty(plan.Early);
        Assert.Equal(Items(listing), plan.Final);
    }
}
