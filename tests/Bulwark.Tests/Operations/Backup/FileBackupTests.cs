using Bulwark.Operations.Backup;
using Bulwark.Operations.Modules;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Rulesets;
using Bulwark.Sources.Files;
using Bulwark.Tests.Infrastructure;
using Bulwark.Versioning.Modules;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Tests.Operations.Backup;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class FileBackupTests : IDisposable
{
    private static readonly DateTime OldTime = new(2021, 3, 4, 5, 6, 7, DateTimeKind.Utc);
    private readonly PostgresFixture _pg;
    private readonly TempDirectory _directory = new();
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public FileBackupTests(PostgresFixture pg)
    {
        _pg = pg;
    }

    public void Dispose() => _directory.Dispose();

    private async Task<string> WriteAsync(string relative, string content, UnixFileMode? mode = null)
    {
        var path = _directory.Combine(relative.Split('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, content, Ct);
        if (mode is { } m)
            File.SetUnixFileMode(path, m);
        File.SetLastWriteTimeUtc(path, OldTime);
        return path;
    }

    [Fact]
    public async Task FilesOnlyBackup_StoresEachFile_AndRestoreBringsItBackWithModeAndTime()
    {
        await WriteAsync("config/app.yml", "port: 8080\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        await WriteAsync("config/nested/db.yml", "pool: 5\n");
        await WriteAsync(".env", "SECRET=1\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Files = ["config/**/*.yml", ".env"]);

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var manifest = backup.Snapshot.Manifest;
        Assert.Equal("files", manifest.Source.Kind);
        Assert.Equal(["files/.env", "files/config/app.yml", "files/config/nested/db.yml"], manifest.Streams.Select(s => s.Name));
        Assert.All(manifest.Streams, s => Assert.Equal(FileStreams.Kind, s.Kind));
        Assert.Equal("0640", manifest.FindStream("files/config/app.yml")!.Attributes![FileStreams.ModeAttribute]);

        var result = await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out") }, null, Ct);
        Assert.Equal(3, result.Files!.Count);
        var restored = _directory.Combine("out", "config", "app.yml");
        Assert.Equal("port: 8080\n", await File.ReadAllTextAsync(restored, Ct));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(restored));
        Assert.Equal(OldTime, File.GetLastWriteTimeUtc(restored));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_directory.Combine("out", ".env")));
        Assert.Equal("pool: 5\n", await File.ReadAllTextAsync(_directory.Combine("out", "config", "nested", "db.yml"), Ct));
    }

    [Fact]
    public async Task UnchangedFiles_AreNotStoredAgain()
    {
        await WriteAsync("big.bin", new string('x', 3 << 20) + Guid.NewGuid());
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Files = ["big.bin"]);
        var first = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var second = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        Assert.True(first.Snapshot.Manifest.Statistics!.NewBytes > 0);
        Assert.Equal(0, second.Snapshot.Manifest.Statistics!.NewBytes);
        Assert.Equal(first.Snapshot.Manifest.Streams[0].Chunks, second.Snapshot.Manifest.Streams[0].Chunks);
    }

    [Fact]
    public async Task Restore_OfOneFile_WritesOnlyThatFile()
    {
        await WriteAsync("a.yml", "a: 1\n");
        await WriteAsync("b.yml", "b: 1\n");
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Files = ["*.yml"]);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);

        var result = await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out"), Files = ["b.yml"] }, null, Ct);
        Assert.Equal("b.yml", Assert.Single(result.Files!).StoredPath);
        Assert.Equal(["b.yml"], Directory.GetFiles(_directory.Combine("out")).Select(Path.GetFileName));

        var e = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out2"), Files = ["c.yml"] }, null, Ct));
        Assert.Equal(ErrorKind.Usage, e.Kind);
        Assert.Contains("no file 'c.yml'", e.Message);
    }

    [Fact]
    public async Task Restore_NeverOverwritesAFileSilently()
    {
        await WriteAsync("a.yml", "a: 1\n");
        await WriteAsync("b.yml", "b: 1\n");
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Files = ["a.yml", "b.yml"]);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        Directory.CreateDirectory(_directory.Combine("out"));
        await File.WriteAllTextAsync(_directory.Combine("out", "b.yml"), "mine\n", Ct);

        var e = await Assert.ThrowsAsync<BulwarkException>(() => new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out") }, null, Ct));
        Assert.Equal(ErrorKind.Refused, e.Kind);
        Assert.Equal("mine\n", await File.ReadAllTextAsync(_directory.Combine("out", "b.yml"), Ct));
        Assert.False(File.Exists(_directory.Combine("out", "a.yml")), "a refusal comes before the first file is written");

        await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", FilesTo = _directory.Combine("out"), Overwrite = true }, null, Ct);
        Assert.Equal("b: 1\n", await File.ReadAllTextAsync(_directory.Combine("out", "b.yml"), Ct));
        Assert.Empty(Directory.GetFiles(_directory.Combine("out"), "*tmp*"));
    }

    [Fact]
    public async Task Backup_FailsBeforeStarting_WhenAConfiguredFileIsMissing()
    {
        var db = await _pg.CreateDatabaseAsync("files");
        var context = await TestRepository.CreateAsync(_directory, _pg.Url(db), configure: c => c.Files = ["missing.yml"]);
        var e = await Assert.ThrowsAsync<BulwarkException>(() => new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct));
        Assert.Equal(ErrorKind.Configuration, e.Kind);
        Assert.Contains("missing.yml does not exist", e.Message);
        Assert.False(Directory.Exists(_directory.Combine("repo", "snapshots")) &&
                     Directory.EnumerateFiles(_directory.Combine("repo", "snapshots")).Any());

        using var other = new TempDirectory();
        var glob = await TestRepository.CreateAsync(other, _pg.Url(db), configure: c => c.Files = ["conf/*.yml"]);
        var none = await Assert.ThrowsAsync<BulwarkException>(() => new BackupOperation(glob).RunAsync(new BackupRequest(), null, Ct));
        Assert.Contains("matches no file", none.Message);
    }

    [Fact]
    public async Task DatabaseBackup_StoresTheFilesInTheSameSnapshot()
    {
        var db = await _pg.CreateDatabaseAsync("files");
        await _pg.ExecuteAsync(db, "CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 100)");
        await WriteAsync("app.yml", "a: 1\n");
        var context = await TestRepository.CreateAsync(_directory, _pg.Url(db), configure: c => c.Files = ["app.yml"]);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        Assert.Equal("postgresql", backup.Snapshot.Manifest.Source.Kind);
        Assert.Equal(["database.dump", "files/app.yml"], backup.Snapshot.Manifest.Streams.Select(s => s.Name));

        var filesOnly = await new BackupOperation(context).RunAsync(new BackupRequest { FilesOnly = true }, null, Ct);
        Assert.Equal(["files/app.yml"], filesOnly.Snapshot.Manifest.Streams.Select(s => s.Name));
    }

    [Fact]
    public async Task Backup_RecordsModuleVersions_AndModulesCheckFindsAConflict()
    {
        var module = await WriteAsync("modules/pricing.js", "/**\n * @version 1.2.0\n */\nprice();\n");
        await WriteAsync("modules/tax.py", "__version__ = '0.3.0'\n");
        await WriteAsync("ruleset.yml", "limit: 1\n");
        var context = await TestRepository.CreateAsync(_directory, configure: c => c.Modules.Paths = ["modules/*"]);
        var rulesets = new RulesetOperations(context);
        await rulesets.CreateVersionAsync(VersionBump.Patch, "first", "alice", cancellationToken: Ct);
        await rulesets.ActivateVersionAsync("1.0.0", "prod", "alice", cancellationToken: Ct);

        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var manifest = backup.Snapshot.Manifest;
        Assert.Equal("files", manifest.Source.Kind);
        Assert.Equal(["1.2.0", "0.3.0"], manifest.Modules!.Select(m => m.Version));
        Assert.All(manifest.Modules!, m => Assert.Equal(64, m.Sha256.Length));
        var state = Assert.Single(manifest.Rulesets!);
        Assert.Equal("1.0.0", state.Latest);
        Assert.Equal("1.0.0", state.Active["prod"]);

        var modules = new ModulesOperation(context);
        Assert.True((await modules.CompareAsync(null, Ct)).Ok);
        await File.WriteAllTextAsync(module, "/**\n * @version 1.2.0\n */\nprice(2);\n", Ct);
        var report = await modules.CompareAsync(null, Ct);
        Assert.False(report.Ok);
        Assert.Equal(ModuleChangeKind.Conflict, report.Modules.Single(m => m.Path == "modules/pricing.js").Kind);

        await File.WriteAllTextAsync(module, "/**\n * @version 1.1.9\n */\nprice(2);\n", Ct);
        Assert.Equal(ModuleChangeKind.Downgraded, (await modules.CompareAsync(null, Ct)).Modules.Single(m => m.Path == "modules/pricing.js").Kind);

        await File.WriteAllTextAsync(module, "/**\n * @version 1.3.0\n */\nprice(2);\n", Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        var history = await modules.CompareAsync("latest", Ct);
        Assert.True(history.Ok);
        Assert.Equal(backup.Snapshot.ShortId, history.PreviousSnapshot);
        Assert.Equal(ModuleChangeKind.Upgraded, history.Modules.Single(m => m.Path == "modules/pricing.js").Kind);
    }

    [Fact]
    public void Selector_ExpandsGlobsAndFolders_AndStoresOutsidePathsLikeTar()
    {
        using var outside = new TempDirectory();
        File.WriteAllText(outside.Combine("x.conf"), "x");
        Directory.CreateDirectory(_directory.Combine("conf", "deep"));
        File.WriteAllText(_directory.Combine("conf", "a.yml"), "a");
        File.WriteAllText(_directory.Combine("conf", "deep", "b.yml"), "b");
        File.WriteAllText(_directory.Combine("conf", "deep", "c.txt"), "c");

        var selected = FileSelector.Select(_directory.Path, ["conf/**/*.yml", "conf/deep", outside.Combine("x.conf")]);
        Assert.Equal(
            new[] { "conf/a.yml", "conf/deep/b.yml", "conf/deep/c.txt", outside.Combine("x.conf").TrimStart('/') }.Order(StringComparer.Ordinal),
            selected.Select(s => s.StoredPath));
    }
}
