using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Restore;
using RestoreRequest = Bulwark.Operations.Restore.RestoreRequest;
using Bulwark.Repository;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Supabase.Storage;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Supabase.Storage;

/// <summary>
/// Supabase Storage files against a real S3 server (s3rver) standing in for the project's Storage endpoint, and a
/// real PostgreSQL for the database the files belong to. The server is this class's own: every test starts by
/// emptying it.
/// </summary>
public sealed class SupabaseStorageTests : IClassFixture<S3ServerFixture>, IDisposable
{
    private readonly PostgresFixture _pg;
    private readonly S3ServerFixture _s3;
    private readonly TempDirectory _dir = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public SupabaseStorageTests(PostgresFixture pg, S3ServerFixture s3)
    {
        _pg = pg;
        _s3 = s3;
    }

    public void Dispose() => _dir.Dispose();

    private static string? Keys(string name) => name switch
    {
        SupabaseStorageCredentials.AccessKeyIdVariable => S3ServerFixture.AccessKey,
        SupabaseStorageCredentials.SecretAccessKeyVariable => S3ServerFixture.SecretKey,
        _ => null,
    };

    private async Task<BulwarkContext> ContextAsync(string database, Action<SupabaseStorageConfig>? storage = null,
        Func<string, string?>? environment = null)
    {
        var config = new BulwarkConfig
        {
            Repository = _dir.Combine("repo"),
            State = _dir.Combine("state"),
            Postgres = new PostgresConfig { Url = _pg.Url(database) },
        };
        config.Postgres.Supabase.Storage.Endpoint = _s3.Endpoint;
        config.Postgres.Supabase.Storage.Region = "us-east-1";
        storage?.Invoke(config.Postgres.Supabase.Storage);
        var context = new BulwarkContext(LoadedConfig.FromObject(config, _dir.Path, environment ?? Keys));
        if (!Directory.Exists(_dir.Combine("repo")))
        {
            await using var repository = await BackupRepository.InitAsync(context.Backends.Open(context.RepositoryLocation),
                context.RepositoryOptions, cancellationToken: Ct);
        }
        return context;
    }

    /// <summary>Removes every object and bucket, so that "every bucket" means the test's own.</summary>
    private async Task EmptyServerAsync()
    {
        using var client = _s3.Client();
        foreach (var bucket in (await client.ListBucketsAsync(Ct)).Buckets ?? [])
            await DeleteBucketAsync(client, bucket.BucketName);
    }

    private static async Task DeleteBucketAsync(AmazonS3Client client, string bucket)
    {
        foreach (var item in (await client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }, Ct)).S3Objects ?? [])
            await client.DeleteObjectAsync(bucket, item.Key, Ct);
        await client.DeleteBucketAsync(bucket, Ct);
    }

    private static async Task PutAsync(AmazonS3Client client, string bucket, string key, byte[] content, string contentType,
        IReadOnlyDictionary<string, string>? metadata = null, string? cacheControl = null)
    {
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = new MemoryStream(content),
            ContentType = contentType,
            UseChunkEncoding = false,
        };
        if (cacheControl is not null)
            request.Headers.CacheControl = cacheControl;
        foreach (var (name, value) in metadata ?? new Dictionary<string, string>())
            request.Metadata.Add(name, value);
        await client.PutObjectAsync(request, Ct);
    }

    private static async Task<(byte[] Content, GetObjectResponse Response)> GetAsync(AmazonS3Client client, string bucket, string key)
    {
        var response = await client.GetObjectAsync(bucket, key, Ct);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer, Ct);
        return (buffer.ToArray(), response);
    }

    private async Task<string> DatabaseAsync()
    {
        var database = await _pg.CreateDatabaseAsync("sbs");
        await _pg.ExecuteAsync(database, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'one')");
        return database;
    }

    private static readonly Dictionary<string, string> AliceMetadata = new() { ["owner"] = "alice", ["purpose"] = "profile" };

    /// <summary>Two buckets: an image with metadata and cache control, a PDF, and a folder placeholder of 0 bytes.</summary>
    private async Task<(byte[] Face, byte[] Report)> TwoBucketsAsync()
    {
        await EmptyServerAsync();
        using var client = _s3.Client();
        await client.PutBucketAsync("avatars", Ct);
        await client.PutBucketAsync("documents", Ct);
        var face = RandomNumberGenerator.GetBytes(300_000);
        var report = RandomNumberGenerator.GetBytes(70_000);
        await PutAsync(client, "avatars", "users/1/face.png", face, "image/png", AliceMetadata, "max-age=3600");
        await PutAsync(client, "documents", "reports/2026 Q3.pdf", report, "application/pdf", new Dictionary<string, string> { ["pages"] = "12" });
        await PutAsync(client, "documents", "empty/.emptyFolderPlaceholder", [], "application/octet-stream");
        return (face, report);
    }

    [Fact]
    public async Task Backup_StoresEveryBucketsObjects_AndRestoreBringsBackBytesContentTypesAndMetadata()
    {
        var (face, report) = await TwoBucketsAsync();
        var context = await ContextAsync(await DatabaseAsync());

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var stored = StorageStreams.Of(backup.Snapshot.Manifest);
        Assert.Equal(["storage/avatars/users/1/face.png", "storage/documents/empty/.emptyFolderPlaceholder", "storage/documents/reports/2026 Q3.pdf"],
            stored.Select(s => s.Name));
        var faceEntry = stored[0];
        Assert.Equal(StorageStreams.Kind, faceEntry.Kind);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(face)), faceEntry.Sha256);
        Assert.Equal("image/png", StorageStreams.ContentType(faceEntry));
        Assert.Equal("max-age=3600", StorageStreams.CacheControl(faceEntry));
        Assert.Equal("300000", faceEntry.Attributes![StorageStreams.SizeAttribute]);
        Assert.True(faceEntry.Attributes.ContainsKey(StorageStreams.LastModifiedAttribute));
        Assert.Equal(AliceMetadata, StorageStreams.Metadata(faceEntry));
        Assert.NotNull(backup.Snapshot.Manifest.FindStream("database.dump"));

        // The project lost its files: the restore creates the buckets and uploads every object.
        await EmptyServerAsync();
        var restored = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", StorageTo = _s3.Endpoint }, null, Ct);
        Assert.Equal(3, restored.Storage!.Uploaded);
        Assert.Equal(370_000, restored.Storage.UploadedBytes);
        Assert.Equal(["avatars", "documents"], restored.Storage.BucketsCreated);

        using var client = _s3.Client();
        var (faceBack, faceResponse) = await GetAsync(client, "avatars", "users/1/face.png");
        Assert.Equal(face, faceBack);
        Assert.Equal("image/png", faceResponse.Headers.ContentType);
        Assert.Equal("max-age=3600", faceResponse.Headers.CacheControl);
        Assert.Equal("alice", faceResponse.Metadata["owner"]);
        Assert.Equal("profile", faceResponse.Metadata["purpose"]);
        var (reportBack, reportResponse) = await GetAsync(client, "documents", "reports/2026 Q3.pdf");
        Assert.Equal(report, reportBack);
        Assert.Equal("application/pdf", reportResponse.Headers.ContentType);
        Assert.Equal("12", reportResponse.Metadata["pages"]);
        Assert.Empty((await GetAsync(client, "documents", "empty/.emptyFolderPlaceholder")).Content);

        // Run again: everything is there with the same bytes, so nothing is written.
        var again = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", StorageTo = _s3.Endpoint }, null, Ct);
        Assert.Equal(0, again.Storage!.Uploaded);
        Assert.Equal(3, again.Storage.Unchanged);
        Assert.Empty(again.Storage.BucketsCreated);
    }

    [Fact]
    public async Task Restore_RefusesObjectsWithOtherContent_BeforeTouchingTheDatabase_AndReplacesThemWithOverwrite()
    {
        var (face, _) = await TwoBucketsAsync();
        var context = await ContextAsync(await DatabaseAsync());
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        using var client = _s3.Client();
        var changed = RandomNumberGenerator.GetBytes(face.Length); // same size, other bytes
        await PutAsync(client, "avatars", "users/1/face.png", changed, "image/png");
        await client.DeleteObjectAsync("documents", "reports/2026 Q3.pdf", Ct);

        var target = _pg.NewDatabaseName("sbt");
        var refused = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = _pg.Url(target), Create = true, StorageTo = _s3.Endpoint }, null, Ct));
        Assert.Equal(ErrorKind.Refused, refused.Kind);
        Assert.Contains("'avatars/users/1/face.png'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was restored", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await _pg.ScalarAsync<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));
        Assert.Contains("--overwrite", refused.Advice, StringComparison.Ordinal);
        Assert.Equal(changed, (await GetAsync(client, "avatars", "users/1/face.png")).Content);
        await Assert.ThrowsAnyAsync<AmazonS3Exception>(() => client.GetObjectAsync("documents", "reports/2026 Q3.pdf", Ct));

        var overwritten = await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = _pg.Url(target), Create = true, StorageTo = _s3.Endpoint, Overwrite = true }, null, Ct);
        Assert.True(overwritten.Created);
        Assert.Equal("one", await _pg.ScalarAsync<string>(target, "SELECT body FROM notes WHERE id = 1"));
        Assert.Equal(2, overwritten.Storage!.Uploaded);
        Assert.Equal(1, overwritten.Storage.Replaced);
        Assert.Equal(1, overwritten.Storage.Unchanged);
        Assert.Equal(face, (await GetAsync(client, "avatars", "users/1/face.png")).Content);
    }

    [Fact]
    public async Task Backup_StoresOnlyTheListedBuckets_WhenBucketsIsSet()
    {
        await TwoBucketsAsync();
        var context = await ContextAsync(await DatabaseAsync(), s => s.Buckets = ["documents"]);

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        Assert.Equal(["documents", "documents"], StorageStreams.Of(backup.Snapshot.Manifest).Select(StorageStreams.Bucket));
    }

    [Fact]
    public async Task Backup_FailsNamingTheBucket_WhenAListedBucketDoesNotExist_AndStopsTheDump()
    {
        await TwoBucketsAsync();
        var context = await ContextAsync(await DatabaseAsync(), s => s.Buckets = ["documents", "invoices"]);
        // The dump waits inside its snapshot until it is stopped: only the Storage part's failure can stop it here.
        var dumpStopped = false;
        var backup = new BackupOperation(context)
        {
            InsideSnapshot = async (_, ct) =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMinutes(5), ct);
                }
                catch (OperationCanceledException)
                {
                    dumpStopped = true;
                    throw;
                }
            },
        };

        var error = await Assert.ThrowsAsync<BulwarkException>(() => backup.RunAsync(new BackupRequest(), null, Ct));

        Assert.True(dumpStopped);

        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains("'invoices'", error.Message, StringComparison.Ordinal);
        Assert.Contains("avatars, documents", error.Advice, StringComparison.Ordinal);
        await AssertNoSnapshotAsync(context);
    }

    [Fact]
    public async Task SecondBackup_StoresNothingNew_ForAnUnchangedObject()
    {
        await EmptyServerAsync();
        using var client = _s3.Client();
        await client.PutBucketAsync("media", Ct);
        var video = RandomNumberGenerator.GetBytes(3 << 20);
        await PutAsync(client, "media", "intro.mp4", video, "video/mp4");
        var context = await ContextAsync(await DatabaseAsync());

        var first = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var second = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        Assert.True(first.Snapshot.Manifest.Statistics!.NewBytes >= video.Length);
        // The dump's header changes with every run; the 3 MiB object is not stored again.
        Assert.True(second.Snapshot.Manifest.Statistics!.NewBytes < 1 << 20, $"{second.Snapshot.Manifest.Statistics.NewBytes} new bytes");
        Assert.Equal(first.Snapshot.Manifest.FindStream("storage/media/intro.mp4")!.Chunks,
            second.Snapshot.Manifest.FindStream("storage/media/intro.mp4")!.Chunks);
    }

    [Fact]
    public async Task Backup_FailsBeforeDumping_WhenTheSecretIsMissing()
    {
        await TwoBucketsAsync();
        var context = await ContextAsync(await DatabaseAsync(),
            environment: name => name == SupabaseStorageCredentials.AccessKeyIdVariable ? S3ServerFixture.AccessKey : null);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct));

        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains(SupabaseStorageCredentials.SecretAccessKeyVariable, error.Message, StringComparison.Ordinal);
        await AssertNoSnapshotAsync(context);
    }

    [Fact]
    public async Task Backup_FailsWithoutSnapshot_AndShowsNoSecret_WhenTheKeyIsRefused()
    {
        await TwoBucketsAsync();
        const string wrong = "not-the-secret-4711";
        var context = await ContextAsync(await DatabaseAsync(), environment: name => name switch
        {
            SupabaseStorageCredentials.AccessKeyIdVariable => "NOT-A-KEY",
            SupabaseStorageCredentials.SecretAccessKeyVariable => wrong,
            _ => null,
        });

        var error = await Assert.ThrowsAsync<BulwarkException>(() => new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct));

        Assert.Equal(ErrorKind.SourceUnavailable, error.Kind);
        Assert.Contains("refused the access key", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, error.Message + error.Advice, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, await File.ReadAllTextAsync(_dir.Combine("state", "operations.jsonl"), Ct),
            StringComparison.Ordinal);
        await AssertNoSnapshotAsync(context);
    }

    [Fact]
    public async Task StorageBackup_ReadsListingsPageByPage()
    {
        await EmptyServerAsync();
        using var client = _s3.Client();
        await client.PutBucketAsync("many", Ct);
        for (var i = 0; i < 7; i++)
            await PutAsync(client, "many", $"file-{i}.txt", [(byte)i], "text/plain");
        var context = await ContextAsync(await DatabaseAsync());
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var uploader = new StreamUploader(repository, new HashSet<ObjectId>());

        var entries = await new SupabaseStorageBackup(new SupabaseStorageOptions
        {
            Endpoint = _s3.Endpoint,
            Region = "us-east-1",
            AccessKeyId = S3ServerFixture.AccessKey,
            SecretAccessKey = S3ServerFixture.SecretKey,
            PageSize = 2,
        }).RunAsync(Task.FromResult(uploader), null, Ct);

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"storage/many/file-{i}.txt"), entries.Select(e => e.Name));
    }

    [Fact]
    public async Task StorageRowCheck_FindsARowWithoutItsFile_AndASizeMismatch()
    {
        await EmptyServerAsync();
        using var client = _s3.Client();
        await client.PutBucketAsync("avatars", Ct);
        await PutAsync(client, "avatars", "a.png", [1, 2, 3], "image/png");
        await PutAsync(client, "avatars", "b.png", [1, 2, 3, 4, 5], "image/png");
        await PutAsync(client, "avatars", "later.png", [9], "image/png");
        var database = await DatabaseAsync();
        await _pg.ExecuteAsync(database, """
            CREATE SCHEMA storage;
            CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text, name text, metadata jsonb);
            INSERT INTO storage.objects (bucket_id, name, metadata) VALUES
              ('avatars', 'a.png', '{"size": 3, "mimetype": "image/png"}'),
              ('avatars', 'b.png', '{"size": 999}'),
              ('avatars', 'gone.png', '{"size": 10}');
            """);
        var context = await ContextAsync(database);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        var check = await StorageRowCheck.CheckAsync(_pg.Server.Settings(database), StorageStreams.Of(backup.Snapshot.Manifest), Ct);

        Assert.Equal(3, check.Rows);
        Assert.Equal(3, check.Files);
        Assert.Equal(1, check.FilesWithoutRow);
        Assert.Equal(
            [
                "storage object avatars/b.png: storage.objects says 999 bytes, the stored file has 5",
                "storage object avatars/gone.png: has a row in storage.objects but no file in the snapshot",
            ],
            check.Differences.Select(d => d.ToString()));
    }

    [Fact]
    public async Task Drill_ChecksStorageRows_PassingWhenEachHasItsFile_FailingWhenOneIsMissing()
    {
        await EmptyServerAsync();
        using var client = _s3.Client();
        await client.PutBucketAsync("avatars", Ct);
        await PutAsync(client, "avatars", "a.png", [1, 2, 3], "image/png");
        var database = await DatabaseAsync();
        await _pg.ExecuteAsync(database, """
            CREATE SCHEMA storage;
            CREATE TABLE storage.objects (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), bucket_id text, name text, metadata jsonb);
            INSERT INTO storage.objects (bucket_id, name, metadata) VALUES ('avatars', 'a.png', '{"size": 3}');
            """);
        var context = await ContextAsync(database);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        var passed = await new DrillOperation(context).RunAsync(new DrillRequest(), null, Ct);
        Assert.True(passed.Passed);
        Assert.Contains(passed.Notes, n => n.StartsWith("storage: 1 storage.objects row checked against 1 stored file", StringComparison.Ordinal));

        // A row committed while its file is already gone from Storage: the drill names it.
        await _pg.ExecuteAsync(database, "INSERT INTO storage.objects (bucket_id, name, metadata) VALUES ('avatars', 'lost.png', '{\"size\": 7}')");
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var failed = await Assert.ThrowsAsync<DrillFailedException>(() => new DrillOperation(context).RunAsync(new DrillRequest(), null, Ct));
        Assert.Contains(failed.Report.Differences, d => d.Object == "storage object avatars/lost.png");
    }

    [Fact]
    public async Task StorageConfig_RequiresARegion_AndRefusesCredentialsInTheUrl()
    {
        var loaded = LoadedConfig.FromObject(new BulwarkConfig(), _dir.Path, _ => null);
        var noRegion = Assert.Throws<BulwarkException>(() =>
            new SupabaseStorageConfig { Endpoint = "https://abc.supabase.co/storage/v1/s3" }.Validate(loaded, "postgres.supabase.storage"));
        Assert.Contains("'postgres.supabase.storage.region'", noRegion.Message, StringComparison.Ordinal);

        var withKey = Assert.Throws<BulwarkException>(() =>
            new SupabaseStorageConfig { Endpoint = "https://key:hunter2@abc.supabase.co/storage/v1/s3", Region = "eu-central-1" }
                .Validate(loaded, "postgres.supabase.storage"));
        Assert.Contains("holds credentials", withKey.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", withKey.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigFile_ReadsTheStorageSection_AndTheKeyFileMustBeOwnerOnly()
    {
        var keyFile = _dir.Combine("storage.env");
        await File.WriteAllTextAsync(keyFile, $"# Storage key\n{SupabaseStorageCredentials.AccessKeyIdVariable}=id-1\n{SupabaseStorageCredentials.SecretAccessKeyVariable}=secret-1\n", Ct);
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await File.WriteAllTextAsync(_dir.Combine("bulwark.yml"), """
            repository: ./repo
            postgres:
              supabase:
                storage:
                  endpoint: https://abc.supabase.co/storage/v1/s3
                  region: eu-central-1
                  buckets: [avatars]
                  connections: 8
                  key-file: storage.env
            """, Ct);
        var loaded = ConfigLoader.Load(null, _dir.Path, _ => null);
        var storage = loaded.Config.Postgres.Supabase.Storage;
        Assert.Equal(["avatars"], storage.Buckets);
        Assert.Equal(8, storage.Connections);

        var open = Assert.Throws<BulwarkException>(() => storage.ToOptions(loaded));
        Assert.Contains("can be read or written by other users", open.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var options = storage.ToOptions(loaded);
        Assert.Equal(("id-1", "secret-1"), (options.AccessKeyId, options.SecretAccessKey));
        Assert.Equal("eu-central-1", options.Region);
    }

    [Fact]
    public async Task Cli_BacksUpAndRestoresStorageFiles_AndSaysWhatItUploaded()
    {
        var (face, _) = await TwoBucketsAsync();
        var database = await DatabaseAsync();
        await File.WriteAllTextAsync(_dir.Combine("bulwark.yml"), $"""
            repository: ./repo
            postgres:
              url: {_pg.Url(database, withPassword: false)}
              supabase:
                storage:
                  endpoint: {_s3.Endpoint}
                  region: us-east-1
            """, Ct);
        var cli = new CliRunner(_dir.Path).With("PGPASSWORD", _pg.Server.Password)
            .With(SupabaseStorageCredentials.AccessKeyIdVariable, S3ServerFixture.AccessKey)
            .With(SupabaseStorageCredentials.SecretAccessKeyVariable, S3ServerFixture.SecretKey);
        Assert.Equal(0, (await cli.RunAsync("init", "./repo")).ExitCode);
        var backup = await cli.RunAsync("backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());

        await EmptyServerAsync();
        var restore = await cli.RunAsync("restore", "latest", "--storage-to", $"{_s3.Endpoint}?region=us-east-1");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Matches(@"uploaded 3 Storage objects \([^)]+\) to http://127\.0\.0\.1:\d+", restore.Stdout);
        Assert.Contains("created buckets avatars, documents", restore.Stdout, StringComparison.Ordinal);
        using var client = _s3.Client();
        Assert.Equal(face, (await GetAsync(client, "avatars", "users/1/face.png")).Content);

        var again = await cli.RunAsync("restore", "latest", "--storage-to", $"{_s3.Endpoint}?region=us-east-1", "--json");
        Assert.True(again.ExitCode == 0, again.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(again.Stdout);
        Assert.Equal(3, json.RootElement.GetProperty("storage").GetProperty("unchanged").GetInt32());
        Assert.Equal(0, json.RootElement.GetProperty("storage").GetProperty("uploaded").GetInt32());

        var noKey = await new CliRunner(_dir.Path).RunAsync("restore", "latest", "--storage-to", _s3.Endpoint);
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(noKey, 2, "no Supabase Storage access key");
    }

    [Fact]
    public void ProgramsBulwarkStarts_DoNotInheritTheStorageKey()
    {
        var environment = new Dictionary<string, string?>
        {
            [SupabaseStorageCredentials.AccessKeyIdVariable] = "id",
            [SupabaseStorageCredentials.SecretAccessKeyVariable] = "secret",
            ["PATH"] = "/usr/bin",
        };

        Bulwark.Sources.Processes.ChildEnvironment.RemoveSecrets(environment, keepPostgresPassword: true);

        Assert.Equal(["PATH"], environment.Keys);
    }

    private static async Task AssertNoSnapshotAsync(BulwarkContext context)
    {
        await using var repository = await context.OpenRepositoryAsync(Ct);
        Assert.Empty((await repository.ScanSnapshotsAsync(Ct)).Snapshots);
    }
}
