using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Supabase;

/// <summary>
/// Restores of a Supabase project's snapshot as the project's ordinary postgres role: into a fresh project, and in
/// place with --clean, always leaving the platform's part as it was.
/// </summary>
public sealed class SupabaseRestoreTests(SupabaseFixture supabase)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The team's schemas, compared whole by pg_dump.</summary>
    private static readonly string[] TeamSchemas = ["--schema=public", "--schema=app"];

    /// <summary>The platform tables the team's rows live in, with the team's trigger and policies on them.</summary>
    private static readonly string[] PlatformTables =
        ["--table=auth.users", "--table=auth.identities", "--table=storage.buckets", "--table=storage.objects"];

    [Fact]
    public async Task Restore_IntoFreshProject_BringsBackTheTeamsPart_AndLeavesThePlatformsRows()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var context = await BackUpAsync(dir, project);
        var fresh = await supabase.CreateProjectAsync(withTeam: false);

        var summary = await RestoreAsync(context, fresh);

        await AssertSameTeamPartAsync(project, fresh);
        Assert.Equal(25L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM public.profiles"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(fresh,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'on_auth_user_created' AND tgrelid = 'auth.users'::regclass"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(fresh,
            "SELECT count(*) FROM pg_publication_tables WHERE pubname = 'supabase_realtime' AND tablename = 'messages'"));
        await AssertPlatformUntouchedAsync(fresh);
        // The restored trigger works: a new user gets a profile.
        await supabase.ExecuteAsync(fresh, "INSERT INTO auth.users (id, raw_user_meta_data) VALUES ('00000000-0000-4000-8000-000000000999', '{\"username\": \"new\"}')");
        Assert.Equal(1L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM public.profiles WHERE username = 'new'"));

        Assert.Contains(summary.PlatformRows, r => r is { Table: "auth.users", Rows: 25 });
        Assert.Contains(summary.PlatformRows, r => r is { Table: "storage.objects", Rows: 5 });
        Assert.Contains("trigger auth.users on_auth_user_created", summary.Additions);
        Assert.Contains("policy storage.objects Users upload their own avatar", summary.Additions);
        Assert.Contains(summary.Skipped, s => s.What == "event trigger pgrst_ddl_watch");
        Assert.Contains(summary.Skipped, s => s.What == "rows of storage.migrations");
        Assert.Contains(summary.Skipped, s => s.What.Contains("platform objects", StringComparison.Ordinal));
        Assert.True(summary.TeamObjects > 20, $"{summary.TeamObjects} team objects");
    }

    [Fact]
    public async Task Restore_RefusesProjectWithTheTeamsPart_WhenNotClean()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var context = await BackUpAsync(dir, project);
        var other = await supabase.CreateProjectAsync(withTeam: false);
        // Only rows in a platform table: the project is in use all the same.
        await supabase.ExecuteAsync(other, "INSERT INTO storage.buckets (id, name) VALUES ('x', 'x')");

        var e = await Assert.ThrowsAsync<BulwarkException>(() => RestoreAsync(context, other));
        Assert.Equal(ErrorKind.Refused, e.Kind);
        Assert.Contains("rows in storage.buckets", e.Message);
        Assert.Contains("--clean", e.Advice);
        Assert.Equal(0L, await supabase.ScalarAsync<long>(other, "SELECT count(*) FROM auth.users"));
    }

    [Fact]
    public async Task Restore_Clean_InPlace_BringsBackDeletedUsersAndDroppedTable_AndNeverTouchesThePlatform()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var context = await BackUpAsync(dir, project);
        // A reference copy of the project as it was, to compare with after the restore.
        var reference = await supabase.CreateProjectAsync(withTeam: false);
        await RestoreAsync(context, reference);
        var platformTriggers = await supabase.ScalarAsync<string>(project,
            "SELECT string_agg(tgname || ' ' || tgrelid::regclass::text, ', ' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal");

        await supabase.ExecuteAsync(project, """
            DELETE FROM public.messages WHERE user_id IN (SELECT id FROM auth.users ORDER BY id LIMIT 5);
            DELETE FROM storage.objects WHERE owner IN (SELECT id FROM auth.users ORDER BY id LIMIT 5);
            DELETE FROM auth.users WHERE id IN (SELECT id FROM auth.users ORDER BY id LIMIT 5);
            DROP TABLE app.settings;
            """);
        Assert.Equal(20L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM public.profiles"));

        var summary = await RestoreAsync(context, project, clean: true);

        await AssertSameTeamPartAsync(reference, project);
        Assert.Equal(25L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM public.profiles"));
        Assert.Equal(2L, await supabase.ScalarAsync<long>(project, "SELECT count(*) FROM app.settings"));
        await AssertPlatformUntouchedAsync(project);
        Assert.Equal(platformTriggers, await supabase.ScalarAsync<string>(project,
            "SELECT string_agg(tgname || ' ' || tgrelid::regclass::text, ', ' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal"));
        Assert.Contains("auth.users", summary.Truncated);
    }

    [Fact]
    public async Task Restore_ThatFailsHalfway_LeavesTheTargetUnchanged()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var context = await BackUpAsync(dir, project);
        var fresh = await supabase.CreateProjectAsync(withTeam: false);
        // The platform takes away the project role's right to write identities: their rows come after the team's
        // tables and the users, so the restore has done much when it fails.
        await supabase.ExecuteAsAdminAsync(fresh, "REVOKE INSERT ON auth.identities FROM postgres");

        var e = await Assert.ThrowsAsync<BulwarkException>(() => RestoreAsync(context, fresh));
        Assert.Equal(ErrorKind.Failed, e.Kind);
        Assert.Contains("table data auth.identities", e.Message);
        Assert.Contains("nothing was restored", e.Advice);
        Assert.Equal(0L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM auth.users"));
        Assert.Null(await supabase.ScalarAsync<string>(fresh, "SELECT to_regclass('public.profiles')::text"));
        Assert.Equal(0L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM pg_trigger WHERE tgname = 'on_auth_user_created'"));
        await AssertPlatformUntouchedAsync(fresh);
    }

    [Fact]
    public async Task Restore_AppliesTheTeamsGrantsOnPlatformTables_ButNotThePlatformsOwn()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        await supabase.ExecuteAsync(project, "GRANT SELECT ON storage.buckets TO app_reporting");
        var context = await BackUpAsync(dir, project);
        var fresh = await supabase.CreateProjectAsync(withTeam: false);
        await supabase.ExecuteAsAdminAsync(fresh, "REVOKE ALL ON storage.buckets FROM anon");

        var summary = await RestoreAsync(context, fresh);

        Assert.True(await supabase.ScalarAsync<bool>(fresh, "SELECT has_table_privilege('app_reporting', 'storage.buckets', 'SELECT')"));
        Assert.Contains(summary.Additions, a => a.StartsWith("GRANT SELECT ON TABLE storage.buckets TO app_reporting;", StringComparison.Ordinal));
        // The platform's grants are the target's business: what it revoked stays revoked.
        Assert.False(await supabase.ScalarAsync<bool>(fresh, "SELECT has_table_privilege('anon', 'storage.buckets', 'SELECT')"));
    }

    /// <summary>The team's schemas, and the platform tables with the team's rows, trigger and policies, are identical.</summary>
    private async Task AssertSameTeamPartAsync(string expected, string actual)
    {
        foreach (var arguments in new[] { TeamSchemas, PlatformTables })
        {
            var comparison = await PgDumpComparer.CompareAsync(supabase.AdminSettings(expected), supabase.AdminSettings(actual), null,
                cancellationToken: Ct, dumpArguments: arguments);
            Assert.True(comparison.Equal, string.Join("\n", comparison.Differences));
            Assert.True(comparison.Lines > 50, $"{comparison.Lines} lines compared");
        }
    }

    /// <summary>The platform's own rows and objects are those of a fresh project.</summary>
    private async Task AssertPlatformUntouchedAsync(string database)
    {
        Assert.Equal(4L, await supabase.ScalarAsync<long>(database, "SELECT count(*) FROM auth.schema_migrations"));
        Assert.Equal(3L, await supabase.ScalarAsync<long>(database, "SELECT count(*) FROM storage.migrations"));
        Assert.Equal(2L, await supabase.ScalarAsync<long>(database, "SELECT count(*) FROM supabase_functions.migrations"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(database, "SELECT count(*) FROM vault.secrets"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(database, "SELECT count(*) FROM pg_event_trigger WHERE evtname = 'pgrst_ddl_watch'"));
        Assert.Equal(1L, await supabase.ScalarAsync<long>(database,
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'update_objects_updated_at' AND tgrelid = 'storage.objects'::regclass"));
        Assert.Equal("supabase_auth_admin", await supabase.ScalarAsync<string>(database,
            "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'auth' AND tablename = 'users'"));
    }

    /// <summary>A snapshot of the project taken as its postgres role with the supabase profile.</summary>
    private async Task<BulwarkContext> BackUpAsync(TempDirectory dir, string project)
    {
        var context = TestConfig.Context(dir, supabase.Url(project, withPassword: true), configure: config => config.Postgres.Profile = "supabase");
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var backup = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        Assert.True(SnapshotPlatform.IsSupabase(backup.Snapshot.Manifest));
        return context;
    }

    /// <summary>Restores the latest snapshot into a project as its postgres role; the snapshot's profile picks the Supabase restore.</summary>
    private async Task<SupabaseRestoreSummary> RestoreAsync(BulwarkContext context, string target, bool clean = false)
    {
        var result = await new RestoreOperation(context).RunAsync(
            new RestoreRequest { Snapshot = "latest", Target = supabase.Url(target, withPassword: true), Clean = clean }, null, Ct);
        return Assert.IsType<SupabaseRestoreSummary>(result.Supabase);
    }
}
