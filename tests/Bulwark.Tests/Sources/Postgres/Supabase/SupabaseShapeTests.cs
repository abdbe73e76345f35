using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Supabase;

/// <summary>The Supabase-shaped test database is what the platform's documentation describes.</summary>
public sealed class SupabaseShapeTests(SupabaseFixture supabase)
{
    [Fact]
    public async Task ProjectRole_IsNotSuperuser_AndCannotReadPlatformBookkeeping()
    {
        var project = await supabase.CreateProjectAsync();
        Assert.False(await supabase.ScalarAsync<bool>(project, "SELECT rolsuper FROM pg_roles WHERE rolname = 'postgres'"));
        Assert.False(await supabase.ScalarAsync<bool>(project, "SELECT has_table_privilege('postgres', 'auth.schema_migrations', 'SELECT')"));
        Assert.True(await supabase.ScalarAsync<bool>(project, "SELECT has_table_privilege('postgres', 'auth.users', 'SELECT')"));
    }

    [Fact]
    public async Task TeamPart_TriggerOnAuthUsers_CreatedOneProfilePerUser()
    {
        var project = await supabase.CreateProjectAsync();
        Assert.Equal(25L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM auth.users"));
        Assert.Equal(25L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM public.profiles"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(project,
            "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'supabase_realtime' AND tablename = 'messages'"));
        Assert.Equal(2L, await supabase.ScalarAsync<long>(project,
            "SELECT count(*) FROM pg_policies WHERE schemaname = 'storage' AND tablename = 'objects'"));
    }

    [Fact]
    public async Task FreshProject_HoldsOnlyThePlatformsPart()
    {
        var project = await supabase.CreateProjectAsync(withTeam: false);
        Assert.Equal(0L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM auth.users"));
        Assert.Equal(0L, await supabase.ScalarAsync<long>(project,
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'app')"));
        Assert.Equal(4L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM auth.schema_migrations"));
    }
}
