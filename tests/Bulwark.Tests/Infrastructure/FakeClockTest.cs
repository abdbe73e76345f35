using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// What tests on a fake clock share: a temporary folder, a <see cref="FakeTimeProvider"/> that starts at
/// <see cref="Now"/> (10 March 2026, 12:00 UTC) and moves only when the test advances it, and the test's cancellation.
/// </summary>
public abstract class FakeClockTest : IDisposable
{
    protected static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    protected readonly TempDirectory _directory = new();
    protected readonly FakeTimeProvider _time = new(Now);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }
}
