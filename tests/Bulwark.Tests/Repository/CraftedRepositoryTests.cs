using System.Text;
using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Restore;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Files;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Repository;

/// <summary>
/// Fixtures of crafted repositories: whoever can write to an unencrypted repository can write any manifest and any
/// stream. Restoring from one must never run a command on this host or write outside the restore target.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CraftedRepositoryTests(PostgresFixture pg) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    /// <summary>Replaces the latest snapshot by one whose streams went through <paramref name="change"/>.</summary>
    private static async Task RewriteLatestAsync(BulwarkContext context, Func<StreamEntry, StreamEntry> change)
    {
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var latest = await repository.ResolveSnapshotAsync("latest", Ct);
        await repository.CommitSnapshotAsync(latest.Manifest with { Streams = latest.Manifest.Streams.Select(change).ToList() }, Ct);
        await repository.DeleteSnapshotAsync(latest.Id, Ct);
    }

    /// <summary>Stores <paramref name="content"/> as the latest snapshot's globals.sql, consistent (size, SHA-256, chunks).</summary>
    private static async Task ReplaceGlobalsAsync(BulwarkContext context, byte[] content)
    {
        StreamEntry crafted;
        await using (var repository = await context.OpenRepositoryAsync(Ct))
            crafted = await new StreamUploader(repository, new HashSet<ObjectId>()).UploadAsync(PostgresBackup.GlobalsStreamName,
                PostgresBackup.GlobalsStreamKind, new MemoryStream(content), cancellationToken: Ct);
        await RewriteLatestAsync(context, s => s.Name == PostgresBackup.GlobalsStreamName ? crafted : s);
    }

    private async Task<BulwarkContext> BackedUpDatabaseAsync()
    {
        var database = await pg.CreateDatabaseAsync("crafted");
        await pg.ExecuteAsync(database, "CREATE TABLE t (x int); INSERT INTO t VALUES (1);");
        var context = await TestRepository.CreateAsync(_directory, pg.Url(database));
        await new BackupOperation(context).RunAsync(new BackupRequest { Globals = true }, null, Ct);
        return context;
    }

    private async Task<long> RoleCountAsync(string role) =>
        await pg.ScalarAsync<long>("postgres", $"SELECT count(*) FROM pg_roles WHERE rolname = '{role.Replace("'", "''")}'");

    [Fact]
    public async Task RestoreGlobals_RefusesAShellCommandInGlobalsSql_WithExitCode10_AndRunsNothing()
    {
        var context = await BackedUpDatabaseAsync();
        var marker = _directory.Combine("marker");
        var role = $"crafted_{Guid.NewGuid():N}"[..24];
        await ReplaceGlobalsAsync(context, Encoding.UTF8.GetBytes(
            $"SET default_transaction_read_only = off;\nCREATE ROLE {role};\n\\! touch {marker}\n"));
        var target = pg.NewDatabaseName();

        var result = await new CliRunner(_directory.Path).RunAsync("restore", "latest", "--repo", _directory.Combine("repo"),
            "--target", pg.Url(target), "--create", "--globals");
        Assert.True(result.ExitCode == 10, result.ToString());
        Assert.Contains("globals.sql holds a psql command (\\!) at line 3", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.False(File.Exists(marker), "the shell command ran");
        Assert.Equal(0, await RoleCountAsync(role));
        Assert.Equal(0L, await pg.ScalarAsync<long>("postgres", $"SELECT count(*) FROM pg_database WHERE datname = '{target}'"));
    }

    [Fact]
    public async Task RestoreGlobals_AppliesWhatPgDumpallWrote_NamesAndCommentsWithQuotesIncluded()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var role = $"rôle;'x\"\\y_{suffix}";
        var quoted = PostgresRestore.QuoteIdentifier(role);
        await pg.ExecuteAsync("postgres", $"""
            CREATE ROLE {quoted} LOGIN PASSWORD 'pw-{suffix}';
            COMMENT ON ROLE {quoted} IS E'it''s; a \\! backslash and $$dollars$$';
            ALTER ROLE {quoted} SET search_path TO '$user', public;
            """);
        try
        {
            var context = await BackedUpDatabaseAsync();
            await pg.ExecuteAsync("postgres", $"DROP ROLE {quoted}");
            var target = pg.NewDatabaseName();
            await new RestoreOperation(context).RunAsync(
                new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, Globals = true }, null, Ct);

            Assert.Equal(1, await RoleCountAsync(role));
            Assert.Equal("it's; a \\! backslash and $$dollars$$", await pg.ScalarAsync<string>("postgres",
                $"SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = {PostgresRestore.QuoteLiteral(role)}"));
            Assert.Equal(["search_path=\"$user\", public"], (await pg.ScalarAsync<string[]>("postgres",
                $"SELECT rolconfig FROM pg_roles WHERE rolname = {PostgresRestore.QuoteLiteral(role)}"))!);
        }
        finally
        {
            await pg.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS {quoted}");
        }
    }

    [Fact]
    public async Task RestoreGlobals_SendsTheDumpsBytes_UnderItsOwnClientEncoding()
    {
        var context = await BackedUpDatabaseAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var latin1 = Encoding.Latin1.GetBytes($"SET client_encoding = 'LATIN1';\nCREATE ROLE \"café_{suffix}\";\n");
        await ReplaceGlobalsAsync(context, latin1);
        try
        {
            var target = pg.NewDatabaseName();
            await new RestoreOperation(context).RunAsync(
                new RestoreRequest { Snapshot = "latest", Target = pg.Url(target), Create = true, Globals = true }, null, Ct);
            Assert.Equal(1, await RoleCountAsync($"café_{suffix}"));
        }
        finally
        {
            await pg.ExecuteAsync("postgres", $"DROP ROLE IF EXISTS \"café_{suffix}\"");
        }
    }

    private async Task<BulwarkContext> BackedUpFilesAsync()
    {
        Directory.CreateDirectory(_directory.Combine("conf"));
        await File.WriteAllTextAsync(_directory.Combine("conf", "app.yml"), "a: 1\n", Ct);
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Files = ["conf/app.yml"]);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        return context;
    }

    private static StreamEntry WithAttribute(StreamEntry entry, string name, string value) =>
        entry with { Attributes = new Dictionary<string, string>(entry.Attributes!) { [name] = value } };

    [Fact]
    public async Task RestoreFiles_DropsSetuidAndSetgid_FromTheRecordedMode()
    {
        var context = await BackedUpFilesAsync();
        await RewriteLatestAsync(context, s => WithAttribute(s, FileStreams.ModeAttribute, "7755"));

        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out") }, null, Ct);
        // 0o7755 less setuid and setgid: the sticky bit and the permissions stay.
        Assert.Equal(UnixFileMode.StickyBit | (UnixFileMode)0b111_101_101, File.GetUnixFileMode(_directory.Combine("out", "conf", "app.yml")));
    }

    [Fact]
    public async Task RestoreFiles_RefusesAFolderInsideTheTargetThatIsASymlink_AndWritesNothingOutside()
    {
        await BackedUpFilesAsync();
        using var outside = new TempDirectory();
        Directory.CreateDirectory(_directory.Combine("out"));
        File.CreateSymbolicLink(_directory.Combine("out", "conf"), outside.Path);

        foreach (var overwrite in new[] { false, true })
        {
            var arguments = new List<string> { "restore", "latest", "--repo", _directory.Combine("repo"), "--files-to", _directory.Combine("out") };
            if (overwrite)
                arguments.Add("--overwrite");
            var result = await new CliRunner(_directory.Path).RunAsync(arguments, null);
            Assert.True(result.ExitCode == 9, result.ToString());
            Assert.Contains($"{_directory.Combine("out", "conf")} is a symbolic link", result.Stderr);
            Assert.DoesNotContain("   at ", result.Stderr);
            Assert.Empty(Directory.EnumerateFileSystemEntries(outside.Path));
        }
    }

    [Fact]
    public async Task RestoreFiles_RefusesStoredPathsWithDotDot_WithExitCode10()
    {
        var context = await BackedUpFilesAsync();
        var outside = _directory.Combine("escaped.yml");
        foreach (var path in new[] { "conf/../../escaped.yml", "conf/../app.yml" })
        {
            await RewriteLatestAsync(context, s => WithAttribute(s, FileStreams.PathAttribute, path) with { Name = FileStreams.StreamName(path) });
            var result = await new CliRunner(_directory.Path).RunAsync("restore", "latest", "--repo", _directory.Combine("repo"),
                "--files-to", _directory.Combine("out"));
            Assert.True(result.ExitCode == 10, result.ToString());
            Assert.Contains($"stores a file as '{path}', which leads out of", result.Stderr);
            Assert.False(File.Exists(outside));
            Assert.False(Directory.Exists(_directory.Combine("out")), "nothing is written");
        }
    }

    [Fact]
    public async Task RestoreFiles_NeverWritesThroughALinkInAFilesPlace()
    {
        var context = await BackedUpFilesAsync();
        using var outside = new TempDirectory();
        var notThere = outside.Combine("created.yml");
        Directory.CreateDirectory(_directory.Combine("out", "conf"));
        var link = _directory.Combine("out", "conf", "app.yml");
        File.CreateSymbolicLink(link, notThere);

        // Without --overwrite a link in the file's place counts as a file there, even when it leads nowhere.
        var refused = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out") }, null, Ct));
        Assert.Equal(ErrorKind.Refused, refused.Kind);
        Assert.Contains("a symbolic link", refused.Message);
        Assert.False(File.Exists(notThere));

        // With --overwrite the link itself is replaced; what it points to is left alone.
        var victim = outside.Combine("victim.yml");
        await File.WriteAllTextAsync(victim, "victim\n", Ct);
        File.Delete(link);
        File.CreateSymbolicLink(link, victim);
        await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out"), Overwrite = true }, null, Ct);
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.Equal("a: 1\n", await File.ReadAllTextAsync(link, Ct));
        Assert.Equal("victim\n", await File.ReadAllTextAsync(victim, Ct));
    }
}
