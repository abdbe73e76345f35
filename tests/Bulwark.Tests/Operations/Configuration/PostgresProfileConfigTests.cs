using Bulwark.Operations.Configuration;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Configuration;

public sealed class PostgresProfileConfigTests
{
    private static LoadedConfig Load(TempDirectory dir, string yaml, Dictionary<string, string>? environment = null)
    {
        File.WriteAllText(dir.Combine("bulwark.yml"), yaml);
        return ConfigLoader.Load(null, dir.Path, name => environment?.GetValueOrDefault(name));
    }

    [Fact]
    public void Profile_DefaultsToAuto_AndThePlatformToTheBuiltInLists()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, "repository: ./repo\n");
        Assert.Equal(PostgresProfile.Auto, loaded.Config.Postgres.ProfileValue);
        Assert.Null(loaded.Config.Postgres.Globals);
        Assert.Equal(SupabasePlatform.Default.Schemas, loaded.Config.Postgres.Supabase.Platform.ToPlatform().Schemas);
    }

    [Fact]
    public void ProfileAndPlatformLists_AreReadFromTheFile()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, """
            repository: ./repo
            postgres:
              profile: supabase
              supabase:
                platform:
                  schemas: [auth, storage, newplatform]
                  bookkeeping-tables: [auth.schema_migrations]
            """);
        Assert.Equal(PostgresProfile.Supabase, loaded.Config.Postgres.ProfileValue);
        var platform = loaded.Config.Postgres.Supabase.Platform.ToPlatform();
        Assert.Equal(["auth", "storage", "newplatform"], platform.Schemas);
        Assert.Equal(["auth.schema_migrations"], platform.BookkeepingTables);
        Assert.Equal(SupabasePlatform.Default.ReservedRoles, platform.ReservedRoles);
    }

    [Fact]
    public void ProfileAndPlatformLists_AreOverriddenByTheEnvironment()
    {
        using var dir = new TempDirectory();
        var loaded = Load(dir, "repository: ./repo\npostgres:\n  profile: supabase\n", new()
        {
            ["BULWARK_POSTGRES_PROFILE"] = "plain",
            ["BULWARK_POSTGRES_SUPABASE_PLATFORM_RESERVED_ROLES"] = "anon, authenticated",
        });
        Assert.Equal(PostgresProfile.Plain, loaded.Config.Postgres.ProfileValue);
        Assert.Equal(["anon", "authenticated"], loaded.Config.Postgres.Supabase.Platform.ToPlatform().ReservedRoles);
    }

    [Fact]
    public void UnknownProfile_NamesTheKeyAndTheChoices()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir, "repository: x\npostgres:\n  profile: supabse\n"));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains("bulwark.yml:3", error.Message);
        Assert.Contains("'postgres.profile'", error.Message);
        Assert.Contains("auto, plain or supabase", error.Advice);
    }

    [Fact]
    public void BookkeepingTableWithoutSchema_IsRefused()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<BulwarkException>(() => Load(dir,
            "repository: x\npostgres:\n  supabase:\n    platform:\n      bookkeeping-tables: [schema_migrations]\n"));
        Assert.Contains("'postgres.supabase.platform.bookkeeping-tables'", error.Message);
        Assert.Contains("schema.table", error.Advice);
    }
}
