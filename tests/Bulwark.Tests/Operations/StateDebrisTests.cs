using Bulwark.Operations;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations;

/// <summary>The sweep of what killed runs leave, for the temporary files of <see cref="AtomicFile"/>.</summary>
public sealed class StateDebrisTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);

    public void Dispose() => _directory.Dispose();

    private string Leftover(string target, TimeSpan age)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var path = AtomicFile.TemporaryPathFor(target);
        File.WriteAllText(path, "half");
        File.SetLastWriteTimeUtc(path, _time.GetUtcNow().UtcDateTime - age);
        return path;
    }

    [Fact]
    public void SweepState_RemovesTemporaryFilesUntouchedForAnHour_AtAnyDepth_AndKeepsNewerOnes()
    {
        var state = _directory.Combine("state");
        var old = new[]
        {
            Leftover(Path.Combine(state, "alerts.json"), TimeSpan.FromHours(2)),
            Leftover(Path.Combine(state, "jobs", "0123abcd", "backup.json"), TimeSpan.FromHours(2)),
            Leftover(Path.Combine(state, "cache", "0123abcd", "last-key"), TimeSpan.FromHours(2)),
        };
        var running = Leftover(Path.Combine(state, "alerts.json"), TimeSpan.FromMinutes(5));

        StateDebris.SweepState(state, _time);

        Assert.All(old, file => Assert.False(File.Exists(file), file));
        Assert.True(File.Exists(running));
    }

    [Fact]
    public void SweepPartials_RemovesOnlyTemporaryFilesInTheUsersFolder_OnceOld()
    {
        var old = Leftover(_directory.Combine("result.dump"), TimeSpan.FromHours(2));
        var usersOwn = _directory.Combine(".notes.tmp");
        File.WriteAllText(usersOwn, "mine");
        File.SetLastWriteTimeUtc(usersOwn, _time.GetUtcNow().UtcDateTime - TimeSpan.FromHours(2));

        StateDebris.SweepPartials(_directory.Path, _time);

        Assert.False(File.Exists(old));
        Assert.True(File.Exists(usersOwn));
    }
}
