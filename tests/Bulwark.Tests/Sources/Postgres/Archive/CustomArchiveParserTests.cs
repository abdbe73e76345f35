using System.Text;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Archive;

public sealed class CustomArchiveParserTests
{
    private readonly PostgresFixture _pg;

    public CustomArchiveParserTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    private static ArchiveSummary Parse(byte[] archive, Func<int, int>? pieceSize = null)
    {
        var builder = new FingerprintBuilder();
        var parser = new CustomArchiveParser(builder);
        var at = 0;
        var call = 0;
        while (at < archive.Length)
        {
            var size = Math.Min(pieceSize?.Invoke(call++) ?? archive.Length, archive.Length - at);
            parser.Feed(archive.AsSpan(at, size));
            at += size;
        }
        parser.Complete();
        return builder.Summary();
    }

    [Fact]
    public async Task Parser_ReadsRealDump_EveryTableSequenceAndObject()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var summary = Parse(await SampleDatabase.DumpAsync(_pg.Server.Settings(database)));

        Assert.Equal(1, summary.Header.Major);
        Assert.InRange(summary.Header.Minor, 12, 16);
        Assert.False(summary.Header.Compressed);
        var rows = summary.Fingerprints.Tables.ToDictionary(t => t.QualifiedName, t => t.Rows);
        Assert.Equal(301, rows["shop.customers"]);
        Assert.Equal(2000, rows["shop.orders"]);
        Assert.Equal(5, rows["public.dups"]);
        Assert.Equal(0, rows["public.empty_table"]);
        Assert.Equal(2, rows["public.no_columns"]);
        Assert.Equal(5, summary.Fingerprints.Tables.Count);
        var sequences = summary.Fingerprints.Sequences.ToDictionary(s => s.QualifiedName);
        Assert.Equal(301, sequences["shop.customers_id_seq"].Value);
        Assert.True(sequences["shop.customers_id_seq"].IsCalled);
        Assert.Equal(2000, sequences["shop.orders_id_seq"].Value);
        Assert.Equal(1, summary.Fingerprints.LargeObjects!.Count);
        var shape = summary.Fingerprints.Schema!;
        Assert.Equal(5, shape.Tables);
        Assert.Equal(1, shape.Indexes);
        Assert.Equal(5, shape.Constraints); // 2 primary keys, 1 unique, 1 foreign key, 1 check
        Assert.Equal(1, shape.Functions);
        Assert.Equal(1, shape.Triggers);
        Assert.Equal(2, shape.Views);
        Assert.Equal(2, shape.Sequences);
        Assert.Contains(summary.Objects, o => o.Display == "index shop.orders_customer_idx");
    }

    [Fact]
    public async Task Parser_GivesSameFingerprints_WhateverThePieceSizes()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var archive = await SampleDatabase.DumpAsync(_pg.Server.Settings(database));
        var whole = Parse(archive).Fingerprints;
        var random = new Random(42);
        foreach (var pieces in new Func<int, int>[] { _ => 1, _ => 3, _ => 4093, _ => random.Next(1, 70_000) })
        {
            var again = Parse(archive, pieces).Fingerprints;
            Assert.Equal(whole.Tables, again.Tables);
            Assert.Equal(whole.Sequences, again.Sequences);
            Assert.Equal(whole.LargeObjects, again.LargeObjects);
            Assert.Equal(whole.Schema!.Objects.OrderBy(o => o.Key), again.Schema!.Objects.OrderBy(o => o.Key));
        }
    }

    [Fact]
    public async Task StreamFingerprints_EqualSqlFingerprints_OfTheSameData()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var fromDump = Parse(await SampleDatabase.DumpAsync(_pg.Server.Settings(database))).Fingerprints.Tables;
        await using var connection = new Npgsql.NpgsqlConnection(_pg.Server.Settings(database).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        var fromSql = await SqlFingerprinter.ComputeTablesAsync(connection, CancellationToken.None);
        Assert.Equal(fromDump, fromSql);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    [InlineData(16)]
    public void Parser_ReadsArchiveVersions_1_12_To_1_16(int minor)
    {
        var archive = new TestArchiveWriter(minor)
            .Toc((1, "TABLE", "public", "t", "CREATE TABLE public.t (a text);\n", false),
                 (2, "TABLE DATA", "public", "t", "", true),
                 (3, "SEQUENCE SET", "public", "s", "SELECT pg_catalog.setval('public.s', 7, false);\n", false),
                 (4, "BLOBS", "", "BLOBS", "", true))
            .Data(2, "one\ntw", "o\n", "three\n\\.\n\n")
            .LargeObjects(4, (16500u, "hello"), (3_000_000_000u, "big oid"))
            .ToArray();
        var summary = Parse(archive, _ => 5);
        Assert.Equal($"1.{minor}", summary.Header.Version);
        var table = Assert.Single(summary.Fingerprints.Tables);
        Assert.Equal(3, table.Rows);
        Assert.Equal(Hash("one", "two", "three"), table.Hash);
        var sequence = Assert.Single(summary.Fingerprints.Sequences);
        Assert.Equal(("public.s", 7L, false), (sequence.QualifiedName, sequence.Value, sequence.IsCalled));
        Assert.Equal(2, summary.Fingerprints.LargeObjects!.Count);
    }

    [Fact]
    public void RowHash_IgnoresRowOrder_CountsDuplicates_AndStopsAtTheEndMarker()
    {
        Assert.Equal(Hash("a", "b", "c"), Hash("c", "a", "b"));
        Assert.NotEqual(Hash("a", "a"), Hash("a"));
        Assert.NotEqual(Hash("a", "a", "b"), Hash("a", "b", "b"));
        Assert.NotEqual(Hash("", ""), Hash(""));
        var hasher = new CopyTextHasher();
        hasher.Append("x\n\\.\n\nnot a row\n"u8);
        hasher.Finish();
        Assert.Equal(1, hasher.Rows);
        Assert.Equal(Hash("x"), CopyTextHasher.Format(hasher.Sum));
    }

    [Fact]
    public void Parser_RejectsWhatIsNotACustomArchive()
    {
        var plain = Encoding.UTF8.GetBytes("--\n-- PostgreSQL database dump\n--\n");
        var error = Assert.Throws<ArchiveFormatException>(() => Parse(plain));
        Assert.Contains("PGDMP", error.Message);
    }

    [Fact]
    public void Parser_RejectsNewerArchiveVersion()
    {
        var archive = new TestArchiveWriter(16).Toc().ToArray();
        archive[6] = 17;
        var error = Assert.Throws<ArchiveFormatException>(() => Parse(archive));
        Assert.Contains("1.17 is newer", error.Message);
    }

    [Fact]
    public async Task Parser_RejectsTruncatedDump_WhereverItIsCut()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var archive = await SampleDatabase.DumpAsync(_pg.Server.Settings(database));
        foreach (var cut in new[] { 3, 40, archive.Length / 10, archive.Length / 2, archive.Length - 1 })
        {
            var error = Assert.Throws<ArchiveFormatException>(() => Parse(archive[..cut]));
            Assert.Contains("ended inside", error.Message);
        }
    }

    [Fact]
    public async Task Parser_RejectsCompressedTableData()
    {
        var database = await SampleDatabase.CreateAsync(_pg);
        var archive = await SampleDatabase.DumpAsync(_pg.Server.Settings(database), "--format=custom", "--compress=6");
        var error = Assert.Throws<ArchiveFormatException>(() => Parse(archive));
        Assert.Contains("compressed", error.Message);
    }

    [Fact]
    public void Observer_KeepsTheError_InsteadOfFailingTheBackup()
    {
        var observer = new FingerprintObserver();
        observer.Observe("this is not a dump at all"u8);
        observer.Complete();
        var result = observer.Result(null);
        Assert.Contains("PGDMP", result.Error);
        Assert.Empty(result.Tables);
    }

    private static string Hash(params string[] rows)
    {
        var hasher = new CopyTextHasher();
        foreach (var row in rows)
            hasher.Append(Encoding.UTF8.GetBytes(row + "\n"));
        hasher.Finish();
        return CopyTextHasher.Format(hasher.Sum);
    }
}
