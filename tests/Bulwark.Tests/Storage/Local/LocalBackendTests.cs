using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Storage.Local;

public sealed class LocalBackendTests : StorageBackendContract, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected override async Task<IStorageBackend> CreateBackendAsync()
    {
        var backend = new LocalBackend(_directory.Combine(Guid.NewGuid().ToString("N")));
        await backend.CreateAsync(TestContext.Current.CancellationToken);
        return backend;
    }

    [Fact]
    public async Task Put_LeavesNoTemporaryFiles()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutAsync("chunks/ab/cd", new byte[10], TestContext.Current.CancellationToken);
        var files = Directory.GetFiles(backend.Location, "*", SearchOption.AllDirectories);
        Assert.Single(files);
    }

    [Fact]
    public async Task AnUnsyncedPut_ReplacesAFileCutOffUnderItsName_AndMakesAMissingFolder()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await CreateBackendAsync();
        var data = new byte[50_000];
        new Random(4).NextBytes(data);
        // What a crash in the middle of an earlier write of the same chunk leaves.
        Directory.CreateDirectory(Path.Combine(backend.Location, "chunks", "ab"));
        await File.WriteAllBytesAsync(Path.Combine(backend.Location, "chunks", "ab", "cd"), data[..1000], ct);
        await backend.PutUnsyncedAsync("chunks/ab/cd", data, ct);
        await backend.PutUnsyncedAsync("chunks/new/ef", data, ct);
        await backend.SyncFoldersAsync(["chunks/ab/", "chunks/new/"], ct);
        Assert.Equal(data, await backend.GetAsync("chunks/ab/cd", ct));
        Assert.Equal(data, await backend.GetAsync("chunks/new/ef", ct));
        Assert.Equal(2, Directory.GetFiles(backend.Location, "*", SearchOption.AllDirectories).Length);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(backend.Location, "chunks", "new", "ef")));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(backend.Location, "chunks", "ab", "cd")));
        }
    }

    [Fact]
    public async Task SyncingAFolderThatIsGone_FailsNamingIt()
    {
        await using var backend = await CreateBackendAsync();
        await backend.PutUnsyncedAsync("chunks/ab/cd", new byte[10], TestContext.Current.CancellationToken);
        Directory.Delete(Path.Combine(backend.Location, "chunks", "ab"), recursive: true);
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            backend.SyncFoldersAsync(["chunks/ab/"], TestContext.Current.CancellationToken));
        Assert.Contains("chunks/ab/", error.Message, StringComparison.Ordinal);
        Assert.Contains("No such file or directory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_WhileAnotherProcessDeletesObjects_NeverFails()
    {
        // Lock objects come and go while others list them; a listing must not trip over one deleted under it.
        await using var backend = await CreateBackendAsync();
        var ct = TestContext.Current.CancellationToken;
        for (var round = 0; round < 5; round++)
        {
            var names = Enumerable.Range(0, 400).Select(i => $"locks/{round}-{i:0000}").ToList();
            foreach (var name in names)
                await backend.PutAsync(name, new byte[1], ct);
            var deleting = Task.Run(() =>
            {
                foreach (var name in names)
                    File.Delete(Path.Combine(backend.Location, name));
            }, ct);
            while (!deleting.IsCompleted)
            {
                await foreach (var _ in backend.ListAsync("locks/", ct))
                {
                }
            }
            await deleting;
        }
    }

    [Fact]
    public async Task List_SkipsTemporaryFilesOfACrashedWriter()
    {
        await using var backend = await CreateBackendAsync();
        Directory.CreateDirectory(Path.Combine(backend.Location, "chunks", "ab"));
        await File.WriteAllBytesAsync(Path.Combine(backend.Location, "chunks", "ab", "half.1234.tmp"), new byte[3], TestContext.Current.CancellationToken);
        var names = new List<string>();
        await foreach (var info in backend.ListAsync("chunks/", TestContext.Current.CancellationToken))
            names.Add(info.Name);
        Assert.Empty(names);
    }

    [Fact]
    public async Task TheTemporaryFileOfAnInterruptedPut_IsNoObject_AndCleanupRemovesItOnceOld()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var backend = await CreateBackendAsync();
        var local = (LocalBackend)backend;
        await backend.PutAsync("snapshots/aa", new byte[1], ct);
        var leftover = AtomicFile.TemporaryPathFor(Path.Combine(backend.Location, "snapshots", "bb"));
        await File.WriteAllBytesAsync(leftover, new byte[3], ct);
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));

        var names = new List<string>();
        await foreach (var info in backend.ListAsync("snapshots/", ct))
            names.Add(info.Name);
        Assert.Equal(["snapshots/aa"], names);

        Assert.Equal(1, local.RemoveAbandonedTemporaryFiles(TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(Path.Combine(backend.Location, "snapshots", "aa")));
    }

    [Fact]
    public void Registry_OpensFoldersAndRejectsUnknownSchemes()
    {
        var registry = new BackendRegistry();
        Assert.IsType<LocalBackend>(registry.Open(_directory.Path));
        Assert.IsType<LocalBackend>(registry.Open("file://" + _directory.Path));
        var error = Assert.Throws<BulwarkException>(() => registry.Open("ftp://user:secret@host/x"));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.DoesNotContain("secret", error.Message);
    }

    [Theory]
    [InlineData("s3://key:secret@host/bucket", "s3://key:***@host/bucket")]
    [InlineData("/plain/path", "/plain/path")]
    [InlineData("s3://bucket/prefix", "s3://bucket/prefix")]
    public void Redact_HidesPasswords(string location, string expected) =>
        Assert.Equal(expected, new BackendRegistry().Redact(location));

    public void Dispose() => _directory.Dispose();
}
