using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Bulwark.Tests.Operations.Configuration;

public sealed class RetentionConfigTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private LoadedConfig Load(string yaml, Dictionary<string, string>? environment = null)
    {
        var path = _directory.Combine("bulwark.yml");
        File.WriteAllText(path, yaml);
        return ConfigLoader.Load(path, _directory.Path, name => environment?.GetValueOrDefault(name));
    }

    private BulwarkException LoadFails(string yaml, Dictionary<string, string>? environment = null)
    {
        var error = Assert.Throws<BulwarkException>(() => Load(yaml, environment));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        return error;
    }

    [Fact]
    public void Defaults_AreThirtyDaysAndAHundredSnapshots_InTheClocksTimeZone()
    {
        var config = Load("repository: /tmp/x\n");
        var time = new FakeTimeProvider();
        time.SetLocalTimeZone(TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        var policy = config.Config.Retention.ToPolicy(config, "retention", time);
        Assert.Equal(TimeSpan.FromDays(30), policy.MaxAge);
        Assert.Equal(100, policy.MaxCount);
        Assert.False(policy.HasKeepRules);
        Assert.Equal("Europe/Berlin", policy.TimeZone.Id);
        Assert.Equal(TimeSpan.FromHours(1), config.Config.Cleanup.GracePeriodValue);
        Assert.Equal(TimeSpan.FromMinutes(5), config.Config.Cleanup.ClockSkewValue);
    }

    [Fact]
    public void FullPolicy_IsRead()
    {
        var config = Load("""
            retention:
              max-age: 2y
              max-count: 0
              keep-last: 3
              keep-daily: 7
              keep-weekly: 4
              keep-monthly: 12
              keep-yearly: 2
              keep-within: 1d12h
              keep-tag: [release, audit]
              time-zone: America/New_York
            cleanup:
              grace-period: 90min
              clock-skew: 30s
            """);
        var policy = config.Config.Retention.ToPolicy(config, "retention", TimeProvider.System);
        Assert.Equal(TimeSpan.FromDays(730), policy.MaxAge);
        Assert.Null(policy.MaxCount);
        Assert.Equal((3, 7, 4, 12, 2), (policy.KeepLast, policy.KeepDaily, policy.KeepWeekly, policy.KeepMonthly, policy.KeepYearly));
        Assert.Equal(TimeSpan.FromHours(36), policy.KeepWithin);
        Assert.Equal(["release", "audit"], policy.KeepTags);
        Assert.Equal("America/New_York", policy.TimeZone.Id);
        Assert.Equal(TimeSpan.FromMinutes(90), config.Config.Cleanup.GracePeriodValue);
        Assert.Equal(TimeSpan.FromSeconds(30), config.Config.Cleanup.ClockSkewValue);
    }

    [Fact]
    public void AmbiguousUnit_IsAnErrorNamingKeyAndLine()
    {
        var error = LoadFails("repository: /tmp/x\nretention:\n  max-age: 6m\n");
        Assert.Contains("bulwark.yml:3: 'retention.max-age'", error.Message);
        Assert.Contains("ambiguous", error.Message);
        Assert.Contains("min", error.Advice);
    }

    [Fact]
    public void UnknownTimeZone_IsAnErrorNamingKeyAndLine()
    {
        var error = LoadFails("retention:\n  keep-daily: 7\n  time-zone: Europe/Atlantis\n");
        Assert.Contains(":3: 'retention.time-zone'", error.Message);
        Assert.Contains("Europe/Atlantis", error.Message);
    }

    [Fact]
    public void KeepMonthly_BeyondMaxAge_IsAnError_SoThatTheCapIsNoSurprise()
    {
        var error = LoadFails("retention:\n  keep-daily: 7\n  keep-monthly: 12\n");
        Assert.Contains(":3: 'retention.keep-monthly'", error.Message);
        Assert.Contains("max-age 30d", error.Message);
        Assert.Contains("max-age", error.Advice);
        Load("retention:\n  max-age: off\n  keep-monthly: 12\n");
    }

    [Fact]
    public void KeepLast_AboveMaxCount_IsAnError()
    {
        var error = LoadFails("retention:\n  max-count: 10\n  keep-last: 20\n");
        Assert.Contains(":3: 'retention.keep-last'", error.Message);
    }

    [Fact]
    public void EnvironmentOverride_IsNamedInTheError()
    {
        var error = LoadFails("retention:\n  keep-daily: 7\n", new() { ["BULWARK_RETENTION_KEEP_WITHIN"] = "3 fortnights" });
        Assert.Contains("BULWARK_RETENTION_KEEP_WITHIN (for 'retention.keep-within')", error.Message);
        var config = Load("retention:\n  keep-daily: 7\n", new() { ["BULWARK_RETENTION_MAX_AGE"] = "off" });
        Assert.Null(config.Config.Retention.ToPolicy(config, "retention", TimeProvider.System).MaxAge);
    }

    [Fact]
    public void EmptyPolicy_IsRefusedWhenCleanupAsksForIt_NotWhenLoading()
    {
        var config = Load("retention:\n  max-age: off\n  max-count: 0\n");
        var error = Assert.Throws<BulwarkException>(() => config.Config.Retention.ToPolicy(config, "retention", TimeProvider.System));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains("'retention'", error.Message);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void ClockSkewBelowOneSecond_IsAnError()
    {
        var error = LoadFails("cleanup:\n  clock-skew: 0s\n");
        Assert.Contains(":2: 'cleanup.clock-skew'", error.Message);
    }

    [Fact]
    public void InitTemplate_LoadsWithTheDefaultPolicy()
    {
        var config = Load(ConfigTemplate.Render("/var/backups/bulwark"));
        var policy = config.Config.Retention.ToPolicy(config, "retention", TimeProvider.System);
        Assert.Equal((TimeSpan.FromDays(30), 100), (policy.MaxAge!.Value, policy.MaxCount!.Value));
    }

    [Fact]
    public void NegativeCount_IsAnError()
    {
        var error = LoadFails("retention:\n  keep-weekly: -1\n");
        Assert.Contains(":2: 'retention.keep-weekly'", error.Message);
    }
}
