using System.Diagnostics;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Scheduling;

public sealed class JobLockTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AJobLockedByAnotherProcess_IsReportedAsRunning()
    {
        var store = new JobStateStore(_directory.Combine("state"), new JobScope("/backups/app", null));
        Directory.CreateDirectory(store.Folder);
        var path = Path.Combine(store.Folder, "backup.lock");
        await File.WriteAllTextAsync(path, "", TestContext.Current.CancellationToken);
        // flock(1) takes the same kind of lock as Bulwark (flock(2), exclusive).
        using var other = Process.Start(new ProcessStartInfo("flock", [path, "sleep", "30"]))!;
        try
        {
            JobLock? taken = null;
            string? holder = null;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                taken = store.TryLock("backup", DateTimeOffset.UtcNow, out holder);
                if (taken is null)
                    break;
                taken.Dispose(); // flock(1) has not taken it yet
                await Task.Delay(20, TestContext.Current.CancellationToken);
            }
            Assert.Null(taken);
            // Our own tries above removed their names when they let go: no stale name is shown.
            Assert.Equal("another process", holder);
        }
        finally
        {
            other.Kill();
        }
    }

    [Fact]
    public void ALockFileThatCannotBeOpened_IsAnError_NotARunningJob()
    {
        var store = new JobStateStore(_directory.Combine("state"), new JobScope("/backups/app", null));
        Directory.CreateDirectory(store.Folder);
        // Opening fails for another reason than a lock (here ELOOP; a read-only file system is another).
        File.CreateSymbolicLink(Path.Combine(store.Folder, "backup.lock"), "backup.lock");

        var error = Assert.Throws<BulwarkException>(() => store.TryLock("backup", DateTimeOffset.UtcNow, out _));
        Assert.Contains("cannot write the job state", error.Message);
    }
}
