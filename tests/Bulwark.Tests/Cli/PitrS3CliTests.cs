using System.Text.Json;
using Bulwark.Tests.Cli.Commands;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Operations.Restore;

namespace Bulwark.Tests.Cli;

/// <summary>
/// Point-in-time recovery with the repository on an S3 store (s3rver): the server's archive_command is this program's
/// 'wal push', the restored server's restore_command its 'wal fetch', both reaching the store with the credentials of
/// the server's user (a shared credentials file, as ~/.aws/credentials would be), never with keys in a command line.
/// </summary>
[Collection(S3ServerFixture.Collection)]
public sealed class PitrS3CliTests
{
    private readonly S3ServerFixture _s3;

    public PitrS3CliTests(S3ServerFixture s3)
    {
        _s3 = s3;
    }

    [Fact]
    public async Task Pitr_OnAnS3Repository_RestoresToATimeBetweenTwoBatches()
    {
        var ct = TestContext.Current.CancellationToken;
        using var dir = new TempDirectory();
        var credentials = dir.Combine("aws-credentials");
        await File.WriteAllTextAsync(credentials,
            $"[default]\naws_access_key_id = {S3ServerFixture.AccessKey}\naws_secret_access_key = {S3ServerFixture.SecretKey}\n", ct);
        var config = dir.Combine("bulwark.yml");
        var location = $"{_s3.NewLocation("pitr")}?endpoint={_s3.Endpoint}";
        await File.WriteAllTextAsync(config, $"repository: \"{location}\"\nstate: {dir.Combine("state")}\n", ct);
        var cli = new CliRunner(dir.Path)
            .With("AWS_ACCESS_KEY_ID", null).With("AWS_SECRET_ACCESS_KEY", null)
            .With("AWS_SHARED_CREDENTIALS_FILE", credentials).With("AWS_EC2_METADATA_DISABLED", "true");
        var init = await cli.RunAsync("init", "--config", config);
        Assert.True(init.ExitCode == 0, init.ToString());
        // The server runs as 'postgres' when the tests run as root: it reads the configuration and the credentials, and
        // writes the state folder.
        if (Environment.UserName == "root")
            await WalCommandTests.ChownAsync(dir.Path);
        var push = $"env AWS_SHARED_CREDENTIALS_FILE={credentials} AWS_EC2_METADATA_DISABLED=true {string.Join(' ', CliRunner.Command)} wal push %p --config {config}";
        await using var server = await ArchivingServer.StartAsync(dir, push);
        cli.With("PGPASSWORD", server.Server.Password);
        await server.ExecuteAsync("CREATE TABLE batches (id int PRIMARY KEY, batch int NOT NULL)");
        var backup = await cli.RunAsync("backup", "--physical", "--source", server.Server.Url("postgres"), "--config", config);
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var time = await server.TwoBatchesAsync();
        // The segments went to the store, not to the folder of cp's archive.
        Assert.Empty(Directory.EnumerateFiles(server.Archive));
        var list = await cli.RunAsync("list", "--config", config);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("point-in-time recovery:", list.Stdout);

        var target = dir.Combine("pitr");
        var restore = await cli.RunAsync("restore", "--to-dir", target, "--to-time", time, "--start", "--config", config, "--json");
        Assert.True(restore.ExitCode == 0, restore.ToString());
        using var json = JsonDocument.Parse(restore.Stdout);
        var port = json.RootElement.GetProperty("server").GetProperty("port").GetInt32();
        var url = server.Restored(target, port);
        Assert.Equal(500L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 1"));
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(url, "SELECT count(*) FROM batches WHERE batch = 2"));
        Assert.False(await ArchivingServer.ScalarAsync<bool>(url, "SELECT pg_is_in_recovery()"));
        Assert.DoesNotContain(S3ServerFixture.SecretKey, await File.ReadAllTextAsync(Path.Combine(target, "postgresql.auto.conf"), ct));

        // A drill, as the daemon runs it with the keys in its environment and no credentials file: its server, which
        // no one else can reach, fetches WAL with those keys.
        var daemonLike = new CliRunner(dir.Path)
            .With("AWS_SHARED_CREDENTIALS_FILE", null).With("AWS_EC2_METADATA_DISABLED", "true")
            .With("AWS_ACCESS_KEY_ID", S3ServerFixture.AccessKey).With("AWS_SECRET_ACCESS_KEY", S3ServerFixture.SecretKey);
        var drill = await daemonLike.RunAsync("test-restore", "latest", "--config", config);
        Assert.True(drill.ExitCode == 0, drill.ToString());
        Assert.Contains("pg_amcheck --heapallindexed found no corruption", drill.Stdout);
    }
}
