using Bulwark.Crash;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Crash;

/// <summary>The short round of the crash harness against the S3 server the tests start (s3rver): 3 trials per operation.</summary>
[Collection(S3ServerFixture.Collection)]
public sealed class CrashHarnessS3Tests(PostgresFixture pg, S3ServerFixture s3, ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new("bulwark-crash-s3");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task KillNineAtRandomMoments_OfEveryOperation_OnS3_BreaksNoInvariant()
    {
        var target = new S3Target(s3.Endpoint, S3ServerFixture.Bucket, S3ServerFixture.AccessKey, S3ServerFixture.SecretKey, s3.DataDirectory);
        var report = await CrashHarness.RunAsync(CrashHarnessTests.ShortRound(pg, _directory, output, BackendKind.S3, target),
            TestContext.Current.CancellationToken);
        CrashHarnessTests.AssertHeld(report, output);
    }
}
