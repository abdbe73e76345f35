using System.Security.Cryptography;
using System.Text.Json;
using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Repository;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Format;
using Bulwark.Storage.Local;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository.Encryption;

/// <summary>
/// Key objects are untrusted input too: one planted with extreme Argon2id settings must not make every command slow
/// and memory-hungry, and the key that opened the repository last is tried first.
/// </summary>
public sealed class KeyHardeningTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Repo => _directory.Combine("repo");

    private static RepositoryOpenOptions Options(string passphrase) => new()
    {
        OpenCipher = (context, ct) => RepositoryKeys.OpenAsync(context, passphrase, ct),
    };

    private async Task<string> InitAsync(string passphrase)
    {
        await using var repository = await RepositoryKeys.InitAsync(new LocalBackend(Repo), Options(passphrase), passphrase,
            EncryptionTests.FastKdf, cancellationToken: Ct);
        return RepositoryKeys.CurrentKeyId(repository)!;
    }

    private Task<BackupRepository> OpenAsync(string passphrase) =>
        BackupRepository.OpenAsync(new LocalBackend(Repo), Options(passphrase), Ct);

    /// <summary>Plants a copy of key <paramref name="original"/> under a new id, older than every key, with other settings.</summary>
    private async Task<string> PlantKeyAsync(string original, KdfParameters kdf)
    {
        var key = JsonSerializer.Deserialize<KeyObject>(
            await File.ReadAllBytesAsync(Path.Combine(Repo, RepositoryKeys.ObjectName(original)), Ct), RepositoryJson.Options)!;
        var planted = key with { Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Created = key.Created.AddYears(-1), Kdf = kdf };
        await File.WriteAllBytesAsync(Path.Combine(Repo, RepositoryKeys.ObjectName(planted.Id)), RepositoryJson.Serialize(planted), Ct);
        return planted.Id;
    }

    [Fact]
    public void KdfSettings_BeyondAFewTimesTheDefault_AreRefused()
    {
        Assert.Null(KdfParameters.Default.Problem());
        Assert.Null(new KdfParameters { MemoryKiB = 1024 * 1024, Iterations = 4, Parallelism = 1 }.Problem());
        foreach (var extreme in new[]
                 {
                     new KdfParameters { MemoryKiB = 2 * 1024 * 1024, Iterations = 1, Parallelism = 1 },
                     new KdfParameters { MemoryKiB = 64 * 1024, Iterations = 32, Parallelism = 1 },
                     new KdfParameters { MemoryKiB = 1024 * 1024, Iterations = 8, Parallelism = 1 },
                 })
        {
            var error = Assert.Throws<BulwarkException>(() => extreme.Validate("key object keys/x"));
            Assert.Equal(ErrorKind.Repository, error.Kind);
            Assert.StartsWith("key object keys/x has unacceptable Argon2id settings", error.Message);
        }
    }

    [Fact]
    public async Task APlantedKeyWithExtremeKdfSettings_IsSkipped_WhileTheRealKeyOpens_AndAloneIsNamed()
    {
        var real = await InitAsync("p");
        var planted = await PlantKeyAsync(real, new KdfParameters { MemoryKiB = 8 * 1024 * 1024, Iterations = 1000, Parallelism = 1 });

        await using (var opened = await OpenAsync("p"))
            Assert.Equal(real, RepositoryKeys.CurrentKeyId(opened));
        var wrong = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("wrong"));
        Assert.Equal(ErrorKind.WrongPassphrase, wrong.Kind);
        Assert.Contains("tried 1 key;", wrong.Message);
        Assert.Contains($"skipped {RepositoryKeys.ObjectName(planted)}", wrong.Message);

        File.Delete(Path.Combine(Repo, RepositoryKeys.ObjectName(real)));
        var alone = await Assert.ThrowsAsync<BulwarkException>(() => OpenAsync("p"));
        Assert.Equal(ErrorKind.Repository, alone.Kind);
        Assert.Contains($"key object {RepositoryKeys.ObjectName(planted)} has unacceptable Argon2id settings", alone.Message);
    }

    [Fact]
    public async Task AnOversizedKeyObject_IsNotRead()
    {
        var real = await InitAsync("p");
        var planted = await PlantKeyAsync(real, EncryptionTests.FastKdf);
        var path = Path.Combine(Repo, RepositoryKeys.ObjectName(planted));
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(await File.ReadAllBytesAsync(path, Ct))!;
        json["padding"] = JsonSerializer.SerializeToElement(new string(' ', 2 << 20));
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(json), Ct);

        Assert.Equal([real], (await RepositoryKeys.ListAsync(new LocalBackend(Repo), Ct)).Select(k => k.Id));
        await using var opened = await OpenAsync("p");
        Assert.Equal(real, RepositoryKeys.CurrentKeyId(opened));
    }

    [Fact]
    public async Task TheKeyThatOpenedTheRepositoryLast_IsTriedFirst_AndAWrongCacheOnlyCostsTime()
    {
        // Two keys with the same passphrase: which one opens shows which one was tried first.
        var first = await InitAsync("p");
        string second;
        await using (var repository = await OpenAsync("p"))
            second = (await RepositoryKeys.AddAsync(repository, "p", EncryptionTests.FastKdf, Ct)).Id;
        var config = new BulwarkConfig { Repository = Repo, State = _directory.Combine("state") };
        var context = new BulwarkContext(LoadedConfig.FromObject(config, _directory.Path,
            name => name == "BULWARK_PASSWORD" ? "p" : null));
        string repositoryId;
        await using (var opened = await context.OpenRepositoryAsync(Ct))
        {
            Assert.Equal(first, RepositoryKeys.CurrentKeyId(opened)); // the oldest, with nothing remembered
            repositoryId = opened.Config.Id;
        }
        var cache = Path.Combine(_directory.Combine("state"), "cache", repositoryId, "last-key");
        Assert.Equal(first, (await File.ReadAllTextAsync(cache, Ct)).Trim());

        await File.WriteAllTextAsync(cache, second, Ct);
        await using (var opened = await context.OpenRepositoryAsync(Ct))
            Assert.Equal(second, RepositoryKeys.CurrentKeyId(opened));

        await File.WriteAllTextAsync(cache, "not a key id", Ct);
        await using (var opened = await context.OpenRepositoryAsync(Ct))
            Assert.Equal(first, RepositoryKeys.CurrentKeyId(opened));
        Assert.Equal(first, (await File.ReadAllTextAsync(cache, Ct)).Trim());
    }

    public void Dispose() => _directory.Dispose();
}
