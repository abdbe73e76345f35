using Bulwark.Operations;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Scheduling;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Configuration;

public sealed class SourcesConfigTests
{
    private static LoadedConfig Load(TempDirectory dir, string yaml)
    {
        File.WriteAllText(dir.Combine("bulwark.yml"), yaml);
        return ConfigLoader.Load(null, dir.Path, _ => null);
    }

    private const string TwoSources = """
        repository: ./repo
        files: [shared.conf]
        schedule:
          time-zone: UTC
          backup: "0 2 * * *"
          drill: off
        retention:
          max-age: 30d
        sources:
          - name: app
            postgres:
              url: postgres://u@db1/app
              profile: plain
            files: [app.conf]
            schedule:
              backup: "0 * * * *"
              drill: "0 4 * * 6"
            retention:
              keep-last: 3
              max-age: off
          - name: crm_2
            postgres:
              url: postgres://u@db2/crm
        """;

    [Fact]
    public void Sources_AreReadInOrder_EachWithItsOwnSections_AndTheTopLevelOnesWhereLeftOut()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, TwoSources);
        var sources = ConfiguredSource.All(loaded.Config);
        Assert.Equal(["app", "crm_2"], sources.Select(s => s.Name));
        Assert.All(sources, s => Assert.True(s.Named));

        var app = sources[0].Settings;
        Assert.Equal("postgres://u@db1/app", app.Postgres.Url);
        Assert.Equal(["app.conf"], app.Files);
        Assert.Equal(3, app.Retention.KeepLast);
        Assert.Equal("off", app.Retention.MaxAge);
        Assert.Equal("0 * * * *", app.Schedule.Backup);
        Assert.Equal("0 4 * * 6", app.Schedule.Drill);
        Assert.Equal("UTC", app.Schedule.TimeZone);

        var crm = sources[1].Settings;
        Assert.Equal("postgres://u@db2/crm", crm.Postgres.Url);
        Assert.Equal(["shared.conf"], crm.Files);
        Assert.Same(loaded.Config.Retention, crm.Retention);
        Assert.Equal("0 2 * * *", crm.Schedule.Backup);
        Assert.Equal("off", crm.Schedule.Drill);
        // The top-level sections are untouched by the merge.
        Assert.Equal(["shared.conf"], loaded.Config.Files);
        Assert.Equal("0 2 * * *", loaded.Config.Schedule.Backup);
    }

    [Fact]
    public void SinglePostgresForm_IsOneSourceNamedDefault_WithTheConfigurationAsItIs()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, "repository: ./repo\npostgres:\n  url: postgres://u@h/db\n");
        var source = Assert.Single(ConfiguredSource.All(loaded.Config));
        Assert.Equal(SourceNames.Default, source.Name);
        Assert.False(source.Named);
        Assert.Same(loaded.Config, source.Settings);
        var context = new BulwarkContext(loaded);
        Assert.Null(context.ForSource(source).SourceNameForManifest);
        Assert.Null(context.ForSource(source).SnapshotFilter);
    }

    [Theory]
    [InlineData("sources:\n  - name: a\n  - name: a\n", "sources[1].name", "already named 'a'")]
    [InlineData("sources:\n  - name: App\n", "sources[0].name", "not a valid source name")]
    [InlineData("sources:\n  - name: a/b\n", "sources[0].name", "not a valid source name")]
    [InlineData("sources:\n  - postgres:\n      url: x\n", "sources[0]", "has no name")]
    [InlineData("postgres:\n  url: x\nsources:\n  - name: a\n", "postgres", "both set")]
    [InlineData("sources:\n  - name: a\n    schedule:\n      backup: every day\n", "sources[0].schedule.backup", "field")]
    [InlineData("sources:\n  - name: a\n    retention:\n      keep-last: -1\n", "sources[0].retention.keep-last", "negative")]
    public void InvalidSources_AreRefused_NamingTheKey(string yaml, string key, string message)
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: ./repo\n" + yaml));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains($"'{key}'", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Theory]
    [InlineData("sources:\n  - name: a\n    url: x\n", "sources[0].url")]
    [InlineData("sources:\n  - name: a\n    schedule:\n      cleanup: off\n", "sources[0].schedule.cleanup")]
    [InlineData("sources:\n  - name: a\n    postgres:\n      bindir: x\n", "sources[0].postgres.bindir")]
    public void UnknownKeysInASource_AreRefused_WithTheirLine(string yaml, string key)
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: ./repo\n" + yaml));
        Assert.Contains($"unknown key '{key}'", error.Message);
        Assert.Contains("bulwark.yml:", error.Message);
    }

    [Fact]
    public void Schedule_HasABackupAndDrillJobPerSource_AtItsOwnTimes_AndOneCheckAndCleanup()
    {
        using var dir = new TempDirectory();
        var schedule = JobSchedule.FromConfig(Load(dir, TwoSources).Config, TimeProvider.System);
        Assert.Equal(
            [("backup.app", "0 * * * *"), ("backup.crm_2", "0 2 * * *"), ("check", "0 9 * * 1"), ("cleanup", "0 3 * * 0"), ("drill.app", "0 4 * * 6")],
            schedule.Jobs.Select(j => (j.Name, j.Expression)).OrderBy(j => j.Name, StringComparer.Ordinal));
        Assert.Equal("UTC", schedule.TimeZone.Id);
    }

    [Fact]
    public void Schedule_OfTheSinglePostgresForm_IsUnchanged()
    {
        using var dir = new TempDirectory();
        var schedule = JobSchedule.FromConfig(Load(dir, "repository: ./repo\n").Config, TimeProvider.System);
        Assert.Equal(["backup", "check", "cleanup", "drill"], schedule.Jobs.Select(j => j.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void SelectSources_GivesAllOrTheNamedOne_AndAnUnknownNameIsAUsageErrorListingTheNames()
    {
        using var dir = new TempDirectory();
        var context = new BulwarkContext(Load(dir, TwoSources));
        Assert.Equal(2, context.SelectSources(null).Count);
        Assert.Equal("crm_2", Assert.Single(context.SelectSources("crm_2")).Name);
        var error = Assert.Throws<BulwarkException>(() => context.SelectSources("nope"));
        Assert.Equal(ErrorKind.Usage, error.Kind);
        Assert.Contains("app, crm_2", error.Advice);
        var app = context.ForSource(context.SelectSources("app")[0]);
        Assert.Equal("app", app.SourceNameForManifest);
        Assert.Equal("postgres://u@db1/app", app.Settings.Postgres.Url);
        Assert.Equal(2, app.Sources.Count);
    }
}
