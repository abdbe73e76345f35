using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Configuration;

public sealed class ConfigLoaderTests
{
    private static LoadedConfig Load(TempDirectory dir, string yaml, Dictionary<string, string>? environment = null)
    {
        File.WriteAllText(dir.Combine("bulwark.yml"), yaml);
        return ConfigLoader.Load(null, dir.Path, name => environment?.GetValueOrDefault(name));
    }

    [Fact]
    public void ReadsKeys_AndResolvesRelativePathsAgainstTheFile()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, "repository: ./repo\npostgres:\n  url: postgres://u@h/db\n  globals: true\n  exclude-table-data: [a, b]\nbackup:\n  compression-level: 5\n");
        Assert.Equal("postgres://u@h/db", loaded.Config.Postgres.Url);
        Assert.True(loaded.Config.Postgres.Globals);
        Assert.Equal(["a", "b"], loaded.Config.Postgres.ExcludeTableData);
        Assert.Equal(5, loaded.Config.Backup.CompressionLevel);
        Assert.Equal(Path.Combine(dir.Path, "repo"), loaded.ResolveLocation(loaded.Config.Repository!));
        Assert.Equal("s3://b/p", loaded.ResolveLocation("s3://b/p"));
    }

    [Fact]
    public void Load_TakesEnvironmentOverrides_OverTheFile()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, "repository: ./repo\nbackup:\n  compression-level: 5\n", new()
        {
            ["BULWARK_REPOSITORY"] = "/elsewhere",
            ["BULWARK_BACKUP_COMPRESSION_LEVEL"] = "9",
            ["BULWARK_POSTGRES_GLOBALS"] = "yes",
            ["BULWARK_BACKUP_TAGS"] = "daily, prod",
        });
        Assert.Equal("/elsewhere", loaded.Config.Repository);
        Assert.Equal(9, loaded.Config.Backup.CompressionLevel);
        Assert.True(loaded.Config.Postgres.Globals);
        Assert.Equal(["daily", "prod"], loaded.Config.Backup.Tags);
    }

    [Fact]
    public void UnknownKey_NamesFileKeyAndLine()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\npostgres:\n  url: u\n  bindir: /x\n"));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains("bulwark.yml:4", error.Message);
        Assert.Contains("'postgres.bindir'", error.Message);
        Assert.Contains("bin-dir", error.Advice);
    }

    [Fact]
    public void WrongType_NamesFileKeyAndLine()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\nbackup:\n  compression-level: lots\n"));
        Assert.Contains("bulwark.yml:3", error.Message);
        Assert.Contains("backup.compression-level", error.Message);
    }

    [Fact]
    public void OutOfRangeValue_NamesFileKeyAndLine()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\nbackup:\n  tags: []\n  compression-level: 40\n"));
        Assert.Contains("bulwark.yml:4", error.Message);
        Assert.Contains("backup.compression-level", error.Message);
    }

    [Fact]
    public void WalCompressionLevel_DefaultsToThree_AndIsValidated()
    {
        using var dir = new TempDirectory();
        Assert.Equal(3, Load(dir, "repository: x\n").Config.Backup.WalCompressionLevel);
        Assert.Equal(6, Load(dir, "repository: x\nbackup:\n  wal-compression-level: 6\n").Config.Backup.WalCompressionLevel);
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\nbackup:\n  wal-compression-level: 0\n"));
        Assert.Contains("backup.wal-compression-level", error.Message);
    }

    [Fact]
    public void BadEnvironmentValue_NamesTheVariable()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\n", new() { ["BULWARK_BACKUP_PARALLELISM"] = "many" }));
        Assert.Contains("BULWARK_BACKUP_PARALLELISM", error.Message);
    }

    [Fact]
    public void InvalidYaml_NamesTheLine()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\npostgres:\n  url: [unclosed\n"));
        Assert.Contains("bulwark.yml:", error.Message);
        Assert.Contains("not valid YAML", error.Message);
    }

    [Fact]
    public void NoFile_GivesDefaults_AndAMissingExplicitFileIsAnError()
    {
        using var dir = new TempDirectory();
        var loaded = ConfigLoader.Load(null, dir.Path, _ => null);
        Assert.Null(loaded.FilePath);
        Assert.Equal(1, loaded.Config.Backup.CompressionLevel);
        var error = Assert.Throws<BulwarkException>(() => ConfigLoader.Load("missing.yml", dir.Path, _ => null));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void EmptyFile_GivesDefaults()
    {
        using var dir = new TempDirectory();
        Assert.Null(Load(dir, "# only a comment\n").Config.Repository);
    }

    [Fact]
    public void TheInitTemplate_LoadsWithoutErrors()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, ConfigTemplate.Render("/var/backups/bulwark"));
        Assert.Equal("/var/backups/bulwark", loaded.Config.Repository);
    }
}
