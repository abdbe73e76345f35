using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Processes;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Archive;

public sealed class FreezingArchiveStreamTests(PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ArchiveTocEntry Table(string ns, string tag, string definition, string description = "TABLE") => new()
    {
        DumpId = 1, HasData = false, Namespace = ns, Tag = tag, Description = description, Definition = definition,
    };

    private static ArchiveTocEntry Data(string ns, string tag, string copy) => new()
    {
        DumpId = 2, HasData = true, Namespace = ns, Tag = tag, Description = "TABLE DATA", CopyStatement = copy,
    };

    [Fact]
    public void CanFreeze_OnlyTablesTheRestoreCreatesAndCopiesIntoDirectly()
    {
        Assert.True(FreezingArchiveStream.CanFreeze(Data("public", "t", "COPY public.t (a, b) FROM stdin;\n"),
            Table("public", "t", "CREATE TABLE public.t (\n    a integer,\n    b text\n);\n")));
        Assert.True(FreezingArchiveStream.CanFreeze(Data("public", "u", "COPY public.u (a) FROM stdin;\n"),
            Table("public", "u", "CREATE UNLOGGED TABLE public.u (\n    a integer\n);\n")));
        Assert.True(FreezingArchiveStream.CanFreeze(Data("public", "no_columns", "COPY public.no_columns  FROM stdin;\n"),
            Table("public", "no_columns", "CREATE TABLE public.no_columns (\n);\n")));
        const string quoted = "\"Weird Schema ü\".\"Mixed Case \"\"Quoted\"\" Table\"";
        Assert.True(FreezingArchiveStream.CanFreeze(Data("Weird Schema ü", "Mixed Case \"Quoted\" Table", $"COPY {quoted} (\"Column With Spaces\") FROM stdin;\n"),
            Table("Weird Schema ü", "Mixed Case \"Quoted\" Table", $"CREATE TABLE {quoted} (\n    \"Column With Spaces\" text\n);\n")));

        // pg_dump --load-via-partition-root: the partition's rows are copied into the root, which FREEZE refuses.
        Assert.False(FreezingArchiveStream.CanFreeze(Data("app", "m_2025", "COPY app.m (id) FROM stdin;\n"),
            Table("app", "m_2025", "CREATE TABLE app.m_2025 (\n    id bigint\n);\n")));
        // A name that only starts like the table's own (the space is inside the quotes) is another table.
        Assert.False(FreezingArchiveStream.CanFreeze(Data("public", "a b", "COPY public.\"a b c\" (x) FROM stdin;\n"),
            Table("public", "a b", "CREATE TABLE public.\"a b\" (\n    x integer\n);\n")));
        Assert.False(FreezingArchiveStream.CanFreeze(Data("app", "m", "COPY app.m (id) FROM stdin;\n"),
            Table("app", "m", "CREATE TABLE app.m (\n    id bigint\n)\nPARTITION BY RANGE (id);\n")));
        Assert.False(FreezingArchiveStream.CanFreeze(Data("app", "f", "COPY app.f (id) FROM stdin;\n"), null));
        Assert.False(FreezingArchiveStream.CanFreeze(Data("app", "f", "COPY app.f (id) FROM stdin;\n"),
            Table("app", "f", "CREATE FOREIGN TABLE app.f (\n    id bigint\n)\nSERVER s;\n", "FOREIGN TABLE")));
        Assert.False(FreezingArchiveStream.CanFreeze(Data("public", "t", "COPY public.t (a) FROM stdin WITH (FORMAT binary);\n"),
            Table("public", "t", "CREATE TABLE public.t (\n    a integer\n);\n")));
    }

    [Fact]
    public async Task RewrittenFileDump_KeepsItsData_AndRestoresFrozen_InOneTransactionAndInParallel()
    {
        using var dir = new TempDirectory();
        var source = await SampleDatabase.CreateAsync(pg, "frz");
        // Written to a file, pg_dump records where each table's data starts: the rewrite must move those offsets.
        var original = Path.Combine(dir.Path, "original.dump");
        await RunAsync("pg_dump", ["--format=custom", "--compress=0", $"--file={original}"], pg.Server.Settings(source), null);
        var archive = await File.ReadAllBytesAsync(original, Ct);

        var rewritten = await RewriteAsync(archive, pieces: 1000);
        Assert.Equal(5, rewritten.Frozen);
        Assert.Equal((await RewriteAsync(archive, pieces: archive.Length)).Bytes, rewritten.Bytes);
        var before = Parse(archive);
        var after = Parse(rewritten.Bytes);
        Assert.Equal(before.Fingerprints.Tables, after.Fingerprints.Tables);
        Assert.Equal(before.Fingerprints.LargeObjects, after.Fingerprints.LargeObjects);
        Assert.All(after.Entries.Where(e => e.Description == "TABLE DATA"),
            e => Assert.EndsWith(" FROM stdin WITH (FREEZE);\n", e.CopyStatement, StringComparison.Ordinal));

        var frozenFile = Path.Combine(dir.Path, "frozen.dump");
        await File.WriteAllBytesAsync(frozenFile, rewritten.Bytes, Ct);
        var parallel = await pg.CreateDatabaseAsync("frzj");
        await RunAsync("pg_restore", [$"--dbname={parallel}", "--jobs=2", "--exit-on-error", frozenFile], pg.Server.Settings(parallel), null);
        var single = await pg.CreateDatabaseAsync("frzs");
        await RunAsync("pg_restore", [$"--dbname={single}", "--single-transaction", "--exit-on-error"], pg.Server.Settings(single), rewritten.Bytes);

        foreach (var restored in new[] { parallel, single })
        {
            var comparison = await PgDumpComparer.CompareAsync(pg.Server.Settings(source), pg.Server.Settings(restored), null, cancellationToken: Ct);
            Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
            await AssertFrozenAsync(pg, restored, ["shop.customers", "shop.orders", "public.dups"]);
        }
    }

    [Fact]
    public async Task DumpLoadedViaPartitionRoot_IsLeftAlone_AndRestores()
    {
        var source = await pg.CreateDatabaseAsync("frzp");
        await pg.ExecuteAsync(source, """
            CREATE TABLE m (id bigint, taken date NOT NULL) PARTITION BY RANGE (taken);
            CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
            CREATE TABLE m_2026 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
            CREATE TABLE plain (v text);
            INSERT INTO m SELECT g, date '2025-06-01' + (g % 400) FROM generate_series(1, 2000) g;
            INSERT INTO plain SELECT 'v' || g FROM generate_series(1, 100) g;
            """);
        var archive = await SampleDatabase.DumpAsync(pg.Server.Settings(source), "--format=custom", "--compress=0", "--load-via-partition-root");

        var rewritten = await RewriteAsync(archive, pieces: 4096);
        Assert.Equal(1, rewritten.Frozen); // plain; the partitions' rows go through the root
        var target = await pg.CreateDatabaseAsync("frzq");
        await RunAsync("pg_restore", [$"--dbname={target}", "--single-transaction", "--exit-on-error"], pg.Server.Settings(target), rewritten.Bytes);
        Assert.Equal(2000L, await pg.ScalarAsync<long>(target, "SELECT count(*) FROM m"));
        await AssertFrozenAsync(pg, target, ["public.plain"]);
    }

    [Fact]
    public async Task WhatIsNotAnArchive_PassesThroughUnchanged()
    {
        var bytes = "PGDMX this is not a dump"u8.ToArray();
        var rewritten = await RewriteAsync(bytes, pieces: 3);
        Assert.Equal(bytes, rewritten.Bytes);
        Assert.Equal(0, rewritten.Frozen);

        // Cut inside the table of contents: given back as it was when the stream is closed.
        var database = await SampleDatabase.CreateAsync(pg, "frzt");
        var archive = await SampleDatabase.DumpAsync(pg.Server.Settings(database));
        var truncated = archive[..200];
        Assert.Equal(truncated, (await RewriteAsync(truncated, pieces: 7)).Bytes);
    }

    /// <summary>Every page of each table is marked all-frozen in the visibility map.</summary>
    internal static async Task AssertFrozenAsync(PostgresFixture pg, string database, IEnumerable<string> tables)
    {
        await pg.ExecuteAsync(database, "CREATE EXTENSION IF NOT EXISTS pg_visibility");
        foreach (var table in tables)
        {
            var pages = await pg.ScalarAsync<long>(database, $"SELECT pg_relation_size('{table}') / current_setting('block_size')::int");
            Assert.True(pages > 0, $"{table} is empty");
            Assert.Equal(pages, await pg.ScalarAsync<long>(database, $"SELECT all_frozen FROM pg_visibility_map_summary('{table}')"));
        }
    }

    private static async Task<(byte[] Bytes, int Frozen)> RewriteAsync(byte[] archive, int pieces)
    {
        using var output = new MemoryStream();
        var freezing = new FreezingArchiveStream(output);
        await using (freezing)
        {
            for (var at = 0; at < archive.Length; at += pieces)
                await freezing.WriteAsync(archive.AsMemory(at, Math.Min(pieces, archive.Length - at)), Ct);
        }
        return (output.ToArray(), freezing.Frozen);
    }

    private static ArchiveSummary Parse(byte[] archive)
    {
        var builder = new FingerprintBuilder();
        var parser = new CustomArchiveParser(builder);
        parser.Feed(archive);
        parser.Complete();
        return builder.Summary();
    }

    private static async Task RunAsync(string tool, string[] arguments, PgConnectionSettings settings, byte[]? input)
    {
        var (path, _) = await new PgTools().FindAsync(tool, null, Ct);
        await using var run = ProcessRunner.Start(path, arguments, settings.ToEnvironment(), redirectInput: input is not null, redirectOutput: false, Ct);
        if (input is not null)
        {
            await using var stdin = run.StandardInput;
            await stdin.WriteAsync(input, Ct);
        }
        Assert.True(await run.WaitAsync(Ct) == 0, $"{tool} failed: {run.ErrorSummary}");
    }
}
