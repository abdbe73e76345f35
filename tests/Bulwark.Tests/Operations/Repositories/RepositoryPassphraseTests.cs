using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Encryption;
using Bulwark.Operations.Repositories;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Repository.Encryption;

namespace Bulwark.Tests.Operations.Repositories;

/// <summary>The passphrase handed to a server Bulwark starts (a drill's, restore --start's) is the one that opened the repository.</summary>
public sealed class RepositoryPassphraseTests
{
    [Fact]
    public async Task APassphraseTypedToOpenTheRepository_IsNotAskedForAgain_ForTheServer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var config = LoadedConfig.FromObject(new BulwarkConfig { Repository = dir.Combine("repo"), State = dir.Combine("state") },
            dir.Path, _ => null);
        var creating = new BulwarkContext(config) { PassphrasePrompt = new CountingPrompt("typed passphrase") };
        await new InitOperation(creating).RunAsync(creating.Settings.Repository, dir.Path,
            new InitOptions { Encrypt = true, Kdf = EncryptionTests.FastKdf }, ct);

        var prompt = new CountingPrompt("typed passphrase");
        var context = new BulwarkContext(config) { PassphrasePrompt = prompt };
        await using (var repository = await context.OpenRepositoryAsync(ct))
            Assert.True(repository.Encrypted);
        Assert.Equal(1, prompt.Asked);

        Assert.Equal("typed passphrase", await context.RepositoryPassphraseAsync(ct));
        Assert.Equal(1, prompt.Asked);

        // Not opened in this process: asked.
        var fresh = new BulwarkContext(config) { PassphrasePrompt = prompt };
        Assert.Equal("typed passphrase", await fresh.RepositoryPassphraseAsync(ct));
        Assert.Equal(2, prompt.Asked);
    }

    private sealed class CountingPrompt(string answer) : IPassphrasePrompt
    {
        public int Asked { get; private set; }

        public string? Ask(string prompt, bool confirm)
        {
            Asked++;
            return answer;
        }
    }
}
