using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Wal;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Repository.Encryption;

namespace Bulwark.Tests.Repository.Wal;

/// <summary>The WAL archive of a repository: one object per WAL file, written once, checked on every read.</summary>
public sealed class WalArchiveTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private static readonly WalFileName Segment = WalFileName.Parse("000000010000000A000000FF");

    private static byte[] WalLike(int size, int seed)
    {
        // Half repetitive, half random: compressible like WAL, and not mistaken for another file.
        var data = new byte[size];
        new Random(seed).NextBytes(data.AsSpan(0, size / 2));
        for (var i = size / 2; i < size; i++)
            data[i] = (byte)"SECRETWALPAYLOAD"[i % 16];
        return data;
    }

    private Task<BackupRepository> InitPlainAsync() =>
        BackupRepository.InitAsync(new LocalBackend(_directory.Combine("repo")), new RepositoryOpenOptions(), cancellationToken: Ct);

    [Fact]
    public async Task Put_ThenGet_GivesTheSameBytes_AndTheSamePutAgainIsAlreadyArchived()
    {
        await using var repository = await InitPlainAsync();
        var content = WalLike(1 << 20, 1);

        Assert.Equal(WalPutOutcome.Stored, await repository.Wal.PutAsync(Segment, content, Ct));
        Assert.Equal(WalPutOutcome.AlreadyArchived, await repository.Wal.PutAsync(Segment, content, Ct));

        var fetched = await repository.Wal.GetAsync(Segment, Ct);
        Assert.NotNull(fetched);
        Assert.Equal(content, fetched.Value.ToArray());
        var stored = Assert.Single(await repository.Wal.ListAsync(cancellationToken: Ct).ToListAsync(Ct));
        Assert.Equal(Segment, stored.File);
        Assert.Equal("wal/00000001/000000010000000A000000FF", RepositoryLayout.WalName(Segment));
        Assert.True(stored.StoredSize < content.Length, "the object is compressed");
    }

    [Fact]
    public async Task Put_CompressesAtTheWalLevel_NotTheBackupLevel()
    {
        // Text with some structure, where zstd's levels differ (as they do on WAL).
        var random = new Random(7);
        var text = new System.Text.StringBuilder();
        while (text.Length < 1 << 20)
            text.Append($"INSERT {random.Next(100000)} account-{random.Next(5000)} balance {random.Next(-999, 999)} note {(char)('a' + random.Next(26))}{random.Next(300)}\n");
        var content = System.Text.Encoding.ASCII.GetBytes(text.ToString());
        async Task<long> StoredAtAsync(int walLevel)
        {
            var folder = _directory.Combine($"repo-{walLevel}");
            await using var repository = await BackupRepository.InitAsync(new LocalBackend(folder),
                new RepositoryOpenOptions { CompressionLevel = 1, WalCompressionLevel = walLevel }, cancellationToken: Ct);
            await repository.Wal.PutAsync(Segment, content, Ct);
            Assert.Equal(content, (await repository.Wal.GetAsync(Segment, Ct))!.Value.ToArray());
            return Assert.Single(await repository.Wal.ListAsync(cancellationToken: Ct).ToListAsync(Ct)).StoredSize;
        }

        var fast = await StoredAtAsync(1);
        var small = await StoredAtAsync(9);

        Assert.True(small < fast * 0.98, $"level 9 stored {small} bytes, level 1 {fast}");
    }

    [Fact]
    public async Task Put_RefusesOtherContentUnderTheSameName_AndKeepsTheArchivedFile()
    {
        await using var repository = await InitPlainAsync();
        var first = WalLike(1 << 16, 1);
        await repository.Wal.PutAsync(Segment, first, Ct);
        var objectPath = _directory.Combine("repo", "wal", "00000001", Segment.Name);
        var storedBefore = await File.ReadAllBytesAsync(objectPath, Ct);

        var e = await Assert.ThrowsAsync<BulwarkException>(() => repository.Wal.PutAsync(Segment, WalLike(1 << 16, 2), Ct));

        Assert.Equal(ErrorKind.WalConflict, e.Kind);
        Assert.Contains(Segment.Name, e.Message);
        Assert.Equal(storedBefore, await File.ReadAllBytesAsync(objectPath, Ct));
        Assert.Equal(first, (await repository.Wal.GetAsync(Segment, Ct))!.Value.ToArray());
    }

    [Fact]
    public async Task Get_ReturnsNull_WhenTheFileIsNotArchived()
    {
        await using var repository = await InitPlainAsync();

        Assert.Null(await repository.Wal.GetAsync(WalFileName.Parse("00000002.history"), Ct));
        Assert.Null(await repository.Wal.GetAsync(Segment, Ct));
    }

    [Fact]
    public async Task Get_RefusesAnObjectCopiedUnderAnotherName()
    {
        await using var repository = await InitPlainAsync();
        await repository.Wal.PutAsync(Segment, WalLike(4096, 1), Ct);
        var next = WalFileName.Parse("000000010000000B00000000");
        File.Copy(_directory.Combine("repo", "wal", "00000001", Segment.Name), _directory.Combine("repo", "wal", "00000001", next.Name));

        var e = await Assert.ThrowsAsync<BulwarkException>(() => repository.Wal.GetAsync(next, Ct));

        Assert.Equal(ErrorKind.Integrity, e.Kind);
        Assert.Contains("another WAL file", e.Message);
    }

    [Fact]
    public async Task Get_RefusesADamagedObject()
    {
        await using var repository = await InitPlainAsync();
        var content = new byte[8192];
        new Random(3).NextBytes(content); // incompressible: stored as is, so one flipped byte lands in the content
        await repository.Wal.PutAsync(Segment, content, Ct);
        var objectPath = _directory.Combine("repo", "wal", "00000001", Segment.Name);
        var stored = await File.ReadAllBytesAsync(objectPath, Ct);
        stored[^10] ^= 0x40;
        await File.WriteAllBytesAsync(objectPath, stored, Ct);

        var e = await Assert.ThrowsAsync<BulwarkException>(() => repository.Wal.GetAsync(Segment, Ct));

        Assert.Equal(ErrorKind.Integrity, e.Kind);
    }

    [Fact]
    public async Task EncryptedRepository_StoresWalSealed_AndReadsItBack()
    {
        const string passphrase = "wal passphrase";
        var options = new RepositoryOpenOptions { OpenCipher = (context, ct) => RepositoryKeys.OpenAsync(context, passphrase, ct) };
        var content = WalLike(1 << 18, 4);
        await using (var repository = await RepositoryKeys.InitAsync(new LocalBackend(_directory.Combine("repo")), options,
                         passphrase, EncryptionTests.FastKdf, cancellationToken: Ct))
            await repository.Wal.PutAsync(Segment, content, Ct);

        var stored = await File.ReadAllBytesAsync(_directory.Combine("repo", "wal", "00000001", Segment.Name), Ct);
        Assert.Equal(-1, stored.AsSpan().IndexOf("SECRETWALPAYLOAD"u8));
        Assert.Equal(-1, stored.AsSpan().IndexOf("BWAL"u8));
        await using var reopened = await BackupRepository.OpenAsync(new LocalBackend(_directory.Combine("repo")), options, Ct);
        Assert.Equal(content, (await reopened.Wal.GetAsync(Segment, Ct))!.Value.ToArray());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Get_ReadsTheEarlierSingleFrameForm(bool compressible)
    {
        // Earlier versions packed the whole record with the codec: one zstd frame with its size, or raw bytes.
        await using var repository = await InitPlainAsync();
        var content = compressible ? WalLike(1 << 16, 5) : new byte[1 << 16];
        if (!compressible)
            new Random(5).NextBytes(content);
        var name = System.Text.Encoding.ASCII.GetBytes(Segment.Name);
        var record = new List<byte>();
        record.AddRange("BWAL"u8.ToArray());
        record.Add(1);
        record.Add((byte)name.Length);
        record.AddRange(name);
        record.AddRange(System.Security.Cryptography.SHA256.HashData(content));
        var length = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, content.Length);
        record.AddRange(length);
        record.AddRange(content);
        var folder = _directory.Combine("repo", "wal", "00000001");
        Directory.CreateDirectory(folder);
        var packed = repository.Pack(record.ToArray());
        Assert.Equal(compressible ? 1 : 0, packed[0]);
        await File.WriteAllBytesAsync(Path.Combine(folder, Segment.Name), packed, Ct);

        Assert.Equal(content, (await repository.Wal.GetAsync(Segment, Ct))!.Value.ToArray());
        Assert.Equal(WalPutOutcome.AlreadyArchived, await repository.Wal.PutAsync(Segment, content, Ct));
    }

    [Fact]
    public async Task PutFile_ThenFetch_RoundTripsASegmentOfAnEncryptedRepository_AndIdsMatchTheWholeContentHash()
    {
        const string passphrase = "wal passphrase";
        var options = new RepositoryOpenOptions { OpenCipher = (context, ct) => RepositoryKeys.OpenAsync(context, passphrase, ct) };
        // Larger than a piece (1 MiB) and not a multiple of it: several pieces and a short last one.
        var content = WalLike((5 << 20) + 12345, 6);
        var source = _directory.Combine(Segment.Name);
        await File.WriteAllBytesAsync(source, content, Ct);
        await using var repository = await RepositoryKeys.InitAsync(new LocalBackend(_directory.Combine("repo")), options,
            passphrase, EncryptionTests.FastKdf, cancellationToken: Ct);

        Assert.Equal(WalPutOutcome.Stored, await repository.Wal.PutFileAsync(Segment, source, Ct));
        // The id streamed piece by piece is the one computed over the whole content: the same bytes are recognised.
        Assert.Equal(WalPutOutcome.AlreadyArchived, await repository.Wal.PutAsync(Segment, content, Ct));
        var other = (byte[])content.Clone();
        other[3 << 20] ^= 1;
        Assert.Equal(ErrorKind.WalConflict,
            (await Assert.ThrowsAsync<BulwarkException>(() => repository.Wal.PutAsync(Segment, other, Ct))).Kind);

        var target = _directory.Combine("restored", "RECOVERYXLOG");
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Assert.True(await repository.Wal.FetchAsync(Segment, target, AtomicWriteOptions.Default, Ct));
        Assert.Equal(content, await File.ReadAllBytesAsync(target, Ct));
        Assert.Equal(content.Length, await repository.Wal.CheckAsync(Segment, Ct));
        Assert.False(await repository.Wal.FetchAsync(WalFileName.Parse("000000010000000B00000000"), target + "2",
            AtomicWriteOptions.Default, Ct));
        Assert.False(File.Exists(target + "2"));
    }

    [Fact]
    public async Task Fetch_OfADamagedObject_LeavesNoFile()
    {
        await using var repository = await InitPlainAsync();
        var content = new byte[3 << 20];
        new Random(8).NextBytes(content);
        await repository.Wal.PutAsync(Segment, content, Ct);
        var objectPath = _directory.Combine("repo", "wal", "00000001", Segment.Name);
        var stored = await File.ReadAllBytesAsync(objectPath, Ct);
        stored[^10] ^= 0x40;
        await File.WriteAllBytesAsync(objectPath, stored, Ct);
        var folder = _directory.Combine("pg_wal");
        Directory.CreateDirectory(folder);

        var e = await Assert.ThrowsAsync<BulwarkException>(() =>
            repository.Wal.FetchAsync(Segment, Path.Combine(folder, "RECOVERYXLOG"), AtomicWriteOptions.Default, Ct));

        Assert.Equal(ErrorKind.Integrity, e.Kind);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Theory]
    [InlineData("000000010000000000000001", WalFileKind.Segment, 1u, 0u, 1u)]
    [InlineData("00000002000000AB000000CD.partial", WalFileKind.Partial, 2u, 0xABu, 0xCDu)]
    [InlineData("0000000A.history", WalFileKind.History, 10u, 0u, 0u)]
    [InlineData("000000010000000000000002.00000028.backup", WalFileKind.BackupLabel, 1u, 0u, 2u)]
    public void WalFileName_ReadsWhatPostgresArchives(string name, WalFileKind kind, uint timeline, uint log, uint segment)
    {
        var file = WalFileName.Parse(name);

        Assert.Equal((kind, timeline, log, segment), (file.Kind, file.Timeline, file.Log, file.Segment));
        Assert.True(RepositoryLayout.TryParseWalName(RepositoryLayout.WalName(file), out var back));
        Assert.Equal(file, back);
    }

    [Theory]
    [InlineData("00000001000000000000000")]
    [InlineData("000000010000000000000001.tmp")]
    [InlineData("00000001000000000000000g")]
    [InlineData("../00000001.history")]
    [InlineData("RECOVERYXLOG")]
    public void WalFileName_RefusesOtherNames(string name)
    {
        Assert.False(WalFileName.TryParse(name, out _));
        Assert.Equal(ErrorKind.Usage, Assert.Throws<BulwarkException>(() => WalFileName.Parse(name)).Kind);
    }

    [Fact]
    public void WalFileName_CountsSegmentsAcrossLogs_ForTheSegmentSize()
    {
        const long size = 16 << 20;
        var last = WalFileName.Parse("0000000100000003000000FF");

        Assert.Equal("000000010000000400000000", WalFileName.ForSegmentNumber(1, last.SegmentNumber(size) + 1, size).Name);
        Assert.Equal("000000010000000000000003", WalFileName.ForLsn(1, 0x3_000028, size).Name);
        Assert.Equal(4UL, WalFileName.SegmentsPerLog(1L << 30));
    }
}

/// <summary>The WAL archive on S3 (s3rver).</summary>
[Collection(S3ServerFixture.Collection)]
public sealed class WalArchiveOnS3Tests(S3ServerFixture s3)
{
    [Fact]
    public async Task S3Repository_ArchivesAndFetchesWal_AndRefusesAConflict()
    {
        var ct = TestContext.Current.CancellationToken;
        var location = s3.NewLocation("wal");
        var content = new byte[3 << 20];
        new Random(7).NextBytes(content);
        var segment = WalFileName.Parse("000000030000000000000010");
        await using (var repository = await BackupRepository.InitAsync(await s3.OpenAsync(location), new RepositoryOpenOptions(), cancellationToken: ct))
        {
            Assert.Equal(WalPutOutcome.Stored, await repository.Wal.PutAsync(segment, content, ct));
            Assert.Equal(WalPutOutcome.AlreadyArchived, await repository.Wal.PutAsync(segment, content, ct));
            var other = (byte[])content.Clone();
            other[12345] ^= 1;
            Assert.Equal(ErrorKind.WalConflict,
                (await Assert.ThrowsAsync<BulwarkException>(() => repository.Wal.PutAsync(segment, other, ct))).Kind);
        }
        await using var reopened = await BackupRepository.OpenAsync(await s3.OpenAsync(location), new RepositoryOpenOptions(), ct);
        Assert.Equal(content, (await reopened.Wal.GetAsync(segment, ct))!.Value.ToArray());
        Assert.Equal([segment], (await reopened.Wal.ListAsync(3, ct).ToListAsync(ct)).Select(f => f.File));
        Assert.Empty(await reopened.Wal.ListAsync(1, ct).ToListAsync(ct));
    }
}
