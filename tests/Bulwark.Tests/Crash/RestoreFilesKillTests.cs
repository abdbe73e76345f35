using System.Diagnostics;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Crash;

/// <summary>
/// restore --files-to and --to-file killed while a file is being written (the crash harness checks the first too):
/// an <see cref="AtomicFile"/> write killed before its rename.
/// </summary>
public sealed class RestoreFilesKillTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly CliRunner _cli;
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public RestoreFilesKillTests()
    {
        _cli = new CliRunner(_directory.Path);
    }

    public void Dispose() => _directory.Dispose();

    private async Task<CliResult> Ok(params string[] arguments)
    {
        var result = await _cli.RunAsync(arguments);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    [Fact]
    public async Task RestoreKilledMidFile_LeavesOnlyWholeFiles_AndTheRetryRemovesItsTemporaryFiles()
    {
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), "repository: repo\nfiles: [data]\n", Ct);
        Directory.CreateDirectory(_directory.Combine("data", "sub"));
        // Incompressible, so that writing it takes long enough to be caught in the middle.
        var big = new byte[48 << 20];
        new Random(1).NextBytes(big);
        await File.WriteAllBytesAsync(_directory.Combine("data", "sub", "big.bin"), big, Ct);
        await File.WriteAllTextAsync(_directory.Combine("data", "a.txt"), "a\n", Ct);
        await Ok("init");
        await Ok("backup");

        var target = _directory.Combine("out");
        string[] restore = ["restore", "latest", "--files-to", target, "--overwrite"];
        var killedMidFile = false;
        for (var attempt = 0; attempt < 8 && !killedMidFile; attempt++)
        {
            var result = await _cli.RunAsync(restore, process =>
            {
                var watch = Stopwatch.StartNew();
                while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(1))
                {
                    if (Directory.Exists(target) &&
                        Directory.EnumerateFiles(target, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories).Any())
                    {
                        process.Kill(); // SIGKILL
                        killedMidFile = true;
                        return;
                    }
                    Thread.Yield();
                }
            });
            Assert.True(result.ExitCode is 0 or 137, result.ToString());
            // Whatever has its final name is whole.
            if (File.Exists(System.IO.Path.Combine(target, "data", "sub", "big.bin")))
                Assert.Equal(big, await File.ReadAllBytesAsync(System.IO.Path.Combine(target, "data", "sub", "big.bin"), Ct));
        }
        Assert.True(killedMidFile, "no kill landed while a file was being written");
        Assert.NotEmpty(Directory.EnumerateFiles(target, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories));

        // The same restore again: every file whole, and nothing of the killed run left in the folder.
        await Ok(restore);
        Assert.Equal(big, await File.ReadAllBytesAsync(System.IO.Path.Combine(target, "data", "sub", "big.bin"), Ct));
        Assert.Equal("a\n", await File.ReadAllTextAsync(System.IO.Path.Combine(target, "data", "a.txt"), Ct));
        Assert.Empty(Directory.EnumerateFiles(target, "*" + AtomicFile.TemporarySuffix, SearchOption.AllDirectories));
    }

    [Fact]
    public async Task RestoreToFileKilledMidWrite_LeavesOnlyATemporaryFile_ThatTheNextRestoreSweepsOnceOld()
    {
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), "repository: repo\nfiles: [data]\n", Ct);
        Directory.CreateDirectory(_directory.Combine("data"));
        var big = new byte[48 << 20];
        new Random(2).NextBytes(big);
        await File.WriteAllBytesAsync(_directory.Combine("data", "big.bin"), big, Ct);
        await Ok("init");
        await Ok("backup");

        var output = _directory.Combine("out");
        Directory.CreateDirectory(output);
        var target = System.IO.Path.Combine(output, "big.bin");
        string[] restore = ["restore", "latest", "--to-file", target, "--stream", "files/data/big.bin"];
        var killedMidFile = false;
        for (var attempt = 0; attempt < 8 && !killedMidFile; attempt++)
        {
            var result = await _cli.RunAsync(restore, process =>
            {
                var watch = Stopwatch.StartNew();
                while (!process.HasExited && watch.Elapsed < TimeSpan.FromMinutes(1))
                {
                    if (Directory.EnumerateFiles(output).Any(f => AtomicFile.IsTemporaryFileOf(target, System.IO.Path.GetFileName(f))))
                    {
                        process.Kill(); // SIGKILL
                        killedMidFile = true;
                        return;
                    }
                    Thread.Yield();
                }
            });
            Assert.True(result.ExitCode is 0 or 137, result.ToString());
            if (!killedMidFile && File.Exists(target))
                File.Delete(target); // finished before the kill came: try again
        }
        Assert.True(killedMidFile, "no kill landed while the file was being written");
        // Never a partial file under the final name: only the temporary file.
        Assert.False(File.Exists(target));
        var leftover = Assert.Single(Directory.GetFiles(output));
        Assert.True(AtomicFile.IsTemporaryFileOf(target, System.IO.Path.GetFileName(leftover)), leftover);

        // A restore in the same folder keeps a temporary file that may still be written; one untouched for an hour goes.
        File.SetLastWriteTimeUtc(leftover, DateTime.UtcNow.AddHours(-2));
        var other = System.IO.Path.Combine(output, "again.bin");
        await Ok(["restore", "latest", "--to-file", other, "--stream", "files/data/big.bin"]);
        Assert.False(File.Exists(leftover));
        Assert.Equal(big, await File.ReadAllBytesAsync(other, Ct));
        Assert.Equal(["again.bin"], Directory.GetFiles(output).Select(System.IO.Path.GetFileName));
    }
}
