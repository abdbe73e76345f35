using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Storage.Local;

/// <summary>The one way Bulwark replaces a file, on real files.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static UnixFileMode Mode(string octal) => (UnixFileMode)Convert.ToInt32(octal, 8);

    private string[] FileNames() => Directory.GetFiles(_directory.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    [Fact]
    public async Task Write_ReplacesTheFile_AndLeavesNothingElseInTheFolder()
    {
        var path = _directory.Combine("state.json");
        await File.WriteAllTextAsync(path, "old", Ct);

        await AtomicFile.WriteAsync(path, "new"u8.ToArray(), null, Ct);

        Assert.Equal("new", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(["state.json"], FileNames());
    }

    [Fact]
    public async Task WhileWriting_TheTargetHoldsTheOldContent_AndTheNewBytesAreInOneTemporaryFileBesideIt()
    {
        var path = _directory.Combine("ruleset.yml");
        await File.WriteAllTextAsync(path, "old", Ct);
        string[] during = [];
        string? seen = null;

        await AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("new"u8.ToArray(), ct);
            await stream.FlushAsync(ct);
            during = FileNames();
            seen = await File.ReadAllTextAsync(path, ct);
        }, null, Ct);

        Assert.Equal("old", seen);
        Assert.Equal(2, during.Length);
        var temporary = Assert.Single(during, name => name != "ruleset.yml");
        Assert.True(AtomicFile.IsTemporaryFileOf(path, temporary), temporary);
        Assert.True(AtomicFile.IsTemporaryName(temporary), temporary);
        Assert.EndsWith(".tmp", temporary); // what a local repository's listing and the state sweep skip and remove
        Assert.Equal("new", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(["ruleset.yml"], FileNames());
    }

    [Fact]
    public async Task Write_CreatesTheFileOwnerOnly_AndGivesAnExplicitModeWhateverTheUmask()
    {
        var state = _directory.Combine("alerts.json");
        AtomicFile.Write(state, "{}"u8);
        Assert.Equal(Mode("600"), File.GetUnixFileMode(state));

        // 0666 survives only a mode set after creation: a umask (022 or 002) would take bits from a create mode.
        var shared = _directory.Combine("shared.txt");
        await AtomicFile.WriteAsync(shared, "x"u8.ToArray(), new AtomicWriteOptions { Mode = Mode("666") }, Ct);
        Assert.Equal(Mode("666"), File.GetUnixFileMode(shared));
    }

    [Fact]
    public async Task Write_KeepsTheModeOfTheFileItReplaces_WhenAsked_AndUsesTheGivenModeForANewFile()
    {
        var options = new AtomicWriteOptions { KeepExistingMode = true, Mode = Mode("644") };
        var existing = _directory.Combine("prod.yml");
        await File.WriteAllTextAsync(existing, "old", Ct);
        File.SetUnixFileMode(existing, Mode("640"));
        var created = _directory.Combine("dev.yml");

        await AtomicFile.WriteAsync(existing, "new"u8.ToArray(), options, Ct);
        await AtomicFile.WriteAsync(created, "new"u8.ToArray(), options, Ct);

        Assert.Equal(Mode("640"), File.GetUnixFileMode(existing));
        Assert.Equal(Mode("644"), File.GetUnixFileMode(created));
    }

    [Fact]
    public async Task Write_GivesTheFileTheModificationTimeAsked()
    {
        var path = _directory.Combine("restored.txt");
        var time = new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Utc);

        await AtomicFile.WriteAsync(path, "x"u8.ToArray(), new AtomicWriteOptions { LastWriteTimeUtc = time }, Ct);

        Assert.Equal(time, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public async Task AWriteThatFails_LeavesTheOldFile_AndNoTemporaryFile()
    {
        var path = _directory.Combine("jobs.json");
        await File.WriteAllTextAsync(path, "old", Ct);

        var error = await Assert.ThrowsAsync<IOException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("half"u8.ToArray(), ct);
            throw new IOException("disk full");
        }, null, Ct));

        Assert.Equal("disk full", error.Message);
        Assert.Equal("old", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(["jobs.json"], FileNames());
    }

    [Fact]
    public async Task ACancelledWrite_LeavesTheOldFile_AndNoTemporaryFile()
    {
        var path = _directory.Combine("jobs.json");
        await File.WriteAllTextAsync(path, "old", Ct);
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, ct) =>
        {
            await stream.WriteAsync("half"u8.ToArray(), ct);
            await cancel.CancelAsync();
            ct.ThrowIfCancellationRequested();
        }, null, cancel.Token));

        Assert.Equal("old", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(["jobs.json"], FileNames());
    }

    [Fact]
    public async Task Write_RefusesAnExistingTarget_WhenNotOverwriting_AndLeavesNoTemporaryFile()
    {
        var path = _directory.Combine("out.dump");
        await File.WriteAllTextAsync(path, "theirs", Ct);

        await Assert.ThrowsAsync<IOException>(() =>
            AtomicFile.WriteAsync(path, "ours"u8.ToArray(), new AtomicWriteOptions { Overwrite = false }, Ct));

        Assert.Equal("theirs", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal(["out.dump"], FileNames());
    }

    [Fact]
    public async Task Write_ReplacesALinkInTheTargetsPlace_AndLeavesWhatItPointsToAlone()
    {
        using var elsewhere = new TempDirectory();
        var victim = elsewhere.Combine("passwd");
        await File.WriteAllTextAsync(victim, "untouched", Ct);
        var path = _directory.Combine("restored.txt");
        File.CreateSymbolicLink(path, victim);

        await AtomicFile.WriteAsync(path, "restored"u8.ToArray(), null, Ct);

        Assert.Null(new FileInfo(path).LinkTarget);
        Assert.Equal("restored", await File.ReadAllTextAsync(path, Ct));
        Assert.Equal("untouched", await File.ReadAllTextAsync(victim, Ct));
    }

    [Fact]
    public async Task RemoveTemporaryFilesOf_RemovesOnlyTheTemporaryFilesOfThatTarget()
    {
        var path = _directory.Combine("prod.yml");
        var leftover = AtomicFile.TemporaryPathFor(path);
        var other = AtomicFile.TemporaryPathFor(_directory.Combine("dev.yml"));
        var users = _directory.Combine(".prod.yml.mine.tmp");
        foreach (var file in new[] { leftover, other, users })
            await File.WriteAllTextAsync(file, "x", Ct);

        AtomicFile.RemoveTemporaryFilesOf(path);

        Assert.False(File.Exists(leftover));
        Assert.True(File.Exists(other));
        Assert.True(File.Exists(users));
    }
}
