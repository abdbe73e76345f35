using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Bulwark.Storage;
using Bulwark.Storage.S3;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A real S3-compatible server (s3rver from tools/node) on a free port of 127.0.0.1 for the tests of one collection,
/// with a bucket <see cref="Bucket"/>. s3rver checks request signatures against its one key pair.
/// </summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    public const string Collection = "s3 server";
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";
    public const string Bucket = "bulwark";

    private readonly TempDirectory _directory = new("bulwark-s3rver");
    private TestServerProcess? _server;

    public string Endpoint => $"http://127.0.0.1:{_server!.Port}";

    /// <summary>Where s3rver keeps its objects: BUCKET/KEY._S3rver_object files.</summary>
    public string DataDirectory => _directory.Combine("data");

    /// <summary>The environment an S3 client of these tests sees: the server's key pair, no instance metadata.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["BULWARK_STORAGE_S3_ENDPOINT"] = Endpoint,
    };

    public async ValueTask InitializeAsync()
    {
        var port = TestServerProcess.FreePort();
        _server = await TestServerProcess.StartAsync("s3rver",
            ["-d", DataDirectory, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent"],
            port, _directory.Path,
            // s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+ enables only with the legacy provider.
            // Its puts are made atomic, as S3's are (tools/node/s3rver-atomic-put.js says why).
            nodeOptions: ["--openssl-legacy-provider", "--require", Path.Combine(TestServerProcess.RepositoryRoot, "tools", "node", "s3rver-atomic-put.js")]);
        using var client = Client();
        await client.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
    }

    /// <summary>A provider for s3:// locations on this server.</summary>
    public S3BackendProvider Provider(S3Options? options = null) =>
        new((options ?? new S3Options()) with { Endpoint = Endpoint }, name => Environment.GetValueOrDefault(name));

    /// <summary>A fresh, empty repository location (its own prefix in the bucket).</summary>
    public string NewLocation(string what = "t") => $"s3://{Bucket}/{what}-{Guid.NewGuid():N}";

    public async Task<IStorageBackend> OpenAsync(string location, S3Options? options = null)
    {
        var backend = Provider(options).Open(location);
        await backend.CreateAsync(CancellationToken.None);
        return backend;
    }

    public AmazonS3Client Client() => new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        _directory.Dispose();
    }
}

[CollectionDefinition(S3ServerFixture.Collection)]
public sealed class S3ServerCollection : ICollectionFixture<S3ServerFixture>;
