using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Repository;

namespace Bulwark.Tests.Infrastructure;

/// <summary>A context whose repository (under the temp folder) is already initialised.</summary>
public static class TestRepository
{
    public static async Task<BulwarkContext> CreateAsync(TempDirectory directory, string? url = null, TimeProvider? time = null,
        Action<BulwarkConfig>? configure = null)
    {
        var context = TestConfig.Context(directory, url, time, configure);
        await using var repository = await BackupRepository.InitAsync(context.Backends.Open(context.RepositoryLocation),
            context.RepositoryOptions, cancellationToken: TestContext.Current.CancellationToken);
        return context;
    }
}
