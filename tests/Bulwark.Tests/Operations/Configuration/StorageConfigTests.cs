using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Logging;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Configuration;

public sealed class StorageConfigTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private LoadedConfig Load(string yaml, Dictionary<string, string>? environment = null)
    {
        File.WriteAllText(_directory.Combine("bulwark.yml"), yaml);
        return ConfigLoader.Load(null, _directory.Path, name => environment?.GetValueOrDefault(name));
    }

    [Fact]
    public void StorageAndCopyToSettings_AreReadFromTheFile_AndTheEnvironmentWins()
    {
        var config = Load("""
            repository: s3://main/app
            copy-to: azure://offsite/app
            storage:
              connections: 4
              retries: 2
              s3:
                endpoint: http://127.0.0.1:9000
                path-style: false
                multipart-threshold-mib: 8
              azure:
                account: acct
            """, new Dictionary<string, string> { ["BULWARK_STORAGE_S3_REGION"] = "eu-north-1", ["BULWARK_STORAGE_RETRIES"] = "7" });
        var settings = config.Config;
        Assert.Equal("azure://offsite/app", settings.CopyTo);
        Assert.Equal(4, settings.Storage.Connections);
        Assert.Equal(7, settings.Storage.Retries);
        var s3 = settings.Storage.S3.ToOptions();
        Assert.Equal("http://127.0.0.1:9000", s3.Endpoint);
        Assert.False(s3.PathStyle);
        Assert.Equal("eu-north-1", s3.Region);
        Assert.Equal(8L << 20, s3.MultipartThreshold);
        Assert.Equal("acct", settings.Storage.Azure.ToOptions().Account);
    }

    [Fact]
    public void AWrongStorageValue_IsAnErrorNamingTheKeyAndLine()
    {
        var error = Assert.Throws<BulwarkException>(() => Load("""
            storage:
              s3:
                part-size-mib: 1
            """));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains(":3: 'storage.s3.part-size-mib'", error.Message);
        var unknown = Assert.Throws<BulwarkException>(() => Load("""
            storage:
              s3:
                secret-key: x
            """));
        Assert.Contains("unknown key 'storage.s3.secret-key'", unknown.Message);
    }

    [Fact]
    public void ObjectStoreSecretsFromTheEnvironment_AreRedactedEverywhere()
    {
        StorageSetup.CreateRegistry(new BulwarkConfig(), name => name switch
        {
            "AWS_SECRET_ACCESS_KEY" => "aws-secret-0123456789",
            "AZURE_STORAGE_CONNECTION_STRING" => "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=azure-key-0123456789==;EndpointSuffix=core.windows.net",
            _ => null,
        });
        var redacted = SecretRedactor.Redact("failed with aws-secret-0123456789 and azure-key-0123456789==");
        Assert.DoesNotContain("aws-secret", redacted);
        Assert.DoesNotContain("azure-key", redacted);
    }

    [Fact]
    public void Locations_ArePrintedWithoutSecrets()
    {
        var registry = StorageSetup.CreateRegistry();
        Assert.Equal("azure://c/p?endpoint=http://h:10000/acct&sas=***&sig=***",
            registry.Redact("azure://c/p?endpoint=http://h:10000/acct&sas=sv=2024&sig=abc"));
        Assert.Equal("s3://b/p?endpoint=https://u:***@h", registry.Redact("s3://b/p?endpoint=https://u:pw@h"));
    }

    public void Dispose() => _directory.Dispose();
}
