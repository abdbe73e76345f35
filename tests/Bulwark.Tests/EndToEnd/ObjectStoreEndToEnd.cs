using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.EndToEnd;

/// <summary>
/// The main job against an object store through the real program: init, backup, verify --read-data, restore into a
/// new database (compared with the original by pg_dump), a restore drill, and a copy out of it (drilled there too). Each store's test class says how to
/// reach its server.
/// </summary>
public abstract class ObjectStoreEndToEnd : IDisposable
{
    protected ObjectStoreEndToEnd(PostgresFixture pg)
    {
        Pg = pg;
    }

    protected PostgresFixture Pg { get; }
    protected TempDirectory Directory { get; } = new();

    /// <summary>The program with the store's endpoint and credentials in its environment.</summary>
    protected abstract CliRunner Cli();

    /// <summary>A new, empty repository location in the store.</summary>
    protected abstract string NewLocation();

    protected static void Ok(CliResult result) => Assert.True(result.ExitCode == 0, result.ToString());

    protected async Task RunMainJobAsync(bool encrypt)
    {
        var db = await Pg.CreateDatabaseAsync("store");
        await Pg.ExecuteAsync(db, Bulwark.Operations.Demo.DemoData.Schema);
        await Pg.ExecuteAsync(db, "CREATE TABLE shop.notes (id int PRIMARY KEY, body text); INSERT INTO shop.notes SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 20000) g;");
        var repo = NewLocation();
        var cli = Cli().With("BULWARK_PASSWORD", encrypt ? "store passphrase" : null);

        var init = await cli.RunAsync(encrypt ? ["init", "--encrypt", repo] : ["init", repo]);
        Ok(init);
        Ok(await cli.RunAsync("backup", "--repo", repo, "--source", Pg.Url(db)));
        await Pg.ExecuteAsync(db, "UPDATE shop.notes SET body = 'changed' WHERE id % 500 = 0");
        var second = await cli.RunAsync("backup", "--repo", repo, "--source", Pg.Url(db), "--json");
        Ok(second);
        Ok(await cli.RunAsync("verify", "--repo", repo, "--read-data"));

        var restored = Pg.NewDatabaseName();
        Ok(await cli.RunAsync("restore", "latest", "--repo", repo, "--target", Pg.Url(restored), "--create"));
        var comparison = await PgDumpComparer.CompareAsync(Pg.Server.Settings(db), Pg.Server.Settings(restored), null,
            cancellationToken: TestContext.Current.CancellationToken);
        Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
        var drill = await cli.RunAsync("test-restore", "latest", "--repo", repo, "--scratch", Pg.Url("postgres"));
        Ok(drill);

        // Out of the store into a local folder: both snapshots, and read back whole there.
        var local = Directory.Combine("local");
        Ok(await cli.RunAsync("init", local));
        var copy = await cli.RunAsync("copy", "--repo", repo, "--to", local);
        Ok(copy);
        Assert.Equal(2, copy.Stdout.Split('\n').Count(l => l.StartsWith("copied snapshot", StringComparison.Ordinal)));
        Ok(await Cli().RunAsync("verify", "--repo", local, "--read-data"));
        Ok(await Cli().RunAsync("test-restore", "latest", "--repo", local, "--scratch", Pg.Url("postgres")));
    }

    public void Dispose() => Directory.Dispose();
}

[Collection(S3ServerFixture.Collection)]
public sealed class S3EndToEndTests : ObjectStoreEndToEnd
{
    private readonly S3ServerFixture _s3;

    public S3EndToEndTests(PostgresFixture pg, S3ServerFixture s3) : base(pg)
    {
        _s3 = s3;
    }

    protected override CliRunner Cli()
    {
        var cli = new CliRunner(Directory.Path);
        foreach (var (name, value) in _s3.Environment)
            cli.With(name, value);
        return cli;
    }

    protected override string NewLocation() => _s3.NewLocation("e2e");

    [Fact]
    public Task BackupVerifyRestoreAndCopy_OnAnEncryptedS3Repository() => RunMainJobAsync(encrypt: true);

    [Fact]
    public async Task UnreachableEndpoint_ExitsWith6_AndOneLine()
    {
        var result = await Cli().With("BULWARK_STORAGE_S3_ENDPOINT", $"http://127.0.0.1:{TestServerProcess.FreePort()}")
            .With("BULWARK_STORAGE_RETRIES", "1").RunAsync("list", "--repo", NewLocation());
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "cannot reach http://127.0.0.1:");
    }

    [Fact]
    public async Task WrongCredentials_ExitWith6_AndOneLine_WithoutTheSecret()
    {
        var result = await Cli().With("AWS_ACCESS_KEY_ID", "AKIAWRONG").With("AWS_SECRET_ACCESS_KEY", "very-secret-value")
            .RunAsync("init", NewLocation());
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "refused the credentials");
        Assert.DoesNotContain("very-secret-value", result.Stderr + result.Stdout);
    }

    [Fact]
    public async Task MissingBucket_ExitsWith6_AndOneLine()
    {
        var result = await Cli().RunAsync("init", "s3://no-such-bucket/repo");
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "the bucket 'no-such-bucket' does not exist");
    }

    [Fact]
    public async Task NoRepositoryThere_ExitsWith3()
    {
        var result = await Cli().RunAsync("list", "--repo", NewLocation());
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 3, "there is no Bulwark repository at s3://");
    }
}

[Collection(AzuriteFixture.Collection)]
public sealed class AzureEndToEndTests : ObjectStoreEndToEnd
{
    private readonly AzuriteFixture _azure;

    public AzureEndToEndTests(PostgresFixture pg, AzuriteFixture azure) : base(pg)
    {
        _azure = azure;
    }

    protected override CliRunner Cli()
    {
        var cli = new CliRunner(Directory.Path);
        foreach (var (name, value) in _azure.Environment)
            cli.With(name, value);
        return cli;
    }

    protected override string NewLocation() => _azure.NewLocation("e2e");

    [Fact]
    public Task BackupVerifyRestoreAndCopy_OnAnAzureRepository() => RunMainJobAsync(encrypt: false);

    [Fact]
    public async Task MissingContainer_ExitsWith6_AndOneLine()
    {
        var result = await Cli().RunAsync("init", "azure://no-such-container/repo");
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "the container 'no-such-container' does not exist");
    }

    [Fact]
    public async Task WrongAccountKey_ExitsWith6_AndOneLine_WithoutTheKey()
    {
        var wrongKey = Convert.ToBase64String(new byte[64]);
        var result = await new CliRunner(Directory.Path)
            .With("AZURE_STORAGE_ACCOUNT", AzuriteFixture.Account).With("AZURE_STORAGE_KEY", wrongKey)
            .With("BULWARK_STORAGE_AZURE_ENDPOINT", _azure.Endpoint).RunAsync("init", NewLocation());
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "refused the credentials");
        Assert.DoesNotContain(wrongKey, result.Stderr + result.Stdout);
    }

    [Fact]
    public async Task UnreachableEndpoint_ExitsWith6_AndOneLine()
    {
        var result = await new CliRunner(Directory.Path)
            .With("AZURE_STORAGE_ACCOUNT", AzuriteFixture.Account).With("AZURE_STORAGE_KEY", AzuriteFixture.AccountKey)
            .With("BULWARK_STORAGE_AZURE_ENDPOINT", $"http://127.0.0.1:{TestServerProcess.FreePort()}/{AzuriteFixture.Account}")
            .With("BULWARK_STORAGE_RETRIES", "1").RunAsync("list", "--repo", NewLocation());
        Bulwark.Tests.Cli.EncryptedRepositoryCliTests.AssertOneLineError(result, 6, "cannot reach http://127.0.0.1:");
    }
}
