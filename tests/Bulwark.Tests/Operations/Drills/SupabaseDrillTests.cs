using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Drills;
using Bulwark.Operations.Repositories;
using Bulwark.Tests.Infrastructure;
using Npgsql;

namespace Bulwark.Tests.Operations.Drills;

/// <summary>Drills of Supabase snapshots: on a plain server, with the platform stood in for, never on the project.</summary>
public sealed class SupabaseDrillTests(SupabaseFixture supabase)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Drill_OfSupabaseSnapshot_PassesOnAThrowawayServer_AndSaysWhatItProves()
    {
        using var dir = new TempDirectory();
        var context = await BackedUpAsync(dir);

        var report = await new DrillOperation(context).RunAsync(new DrillRequest(), null, Ct);

        Assert.True(report.Passed, string.Join("; ", report.Differences));
        Assert.Contains(DrillOperation.SupabaseScope, report.Notes);
        Assert.Contains(report.Notes, n => n.Contains("event trigger pgrst_ddl_watch", StringComparison.Ordinal));
        // The team's tables and the platform tables holding the team's rows were compared.
        Assert.True(report.Rows >= 25 + 25 + 25 + 200 + 5 + 2 + 2, $"{report.Rows} rows");
        Assert.True(report.Objects > 20, $"{report.Objects} objects");
        // Never on the project's own server: it has no scratch database, not even for a moment's trace.
        Assert.DoesNotContain(supabase.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), report.ScratchServer);
    }

    [Theory]
    [InlineData("UPDATE auth.users SET email = 'someone@example.com' WHERE email = 'user7@example.com'", "table auth.users")]
    [InlineData("DELETE FROM storage.objects WHERE name = 'user2/avatar.png'", "table storage.objects")]
    [InlineData("DROP POLICY \"Users upload their own avatar\" ON storage.objects", "policy storage.objects Users upload their own avatar")]
    [InlineData("DROP TRIGGER on_auth_user_created ON auth.users", "trigger auth.users on_auth_user_created")]
    [InlineData("UPDATE public.profiles SET mood = 'sad' WHERE username = 'user3'", "table public.profiles")]
    public async Task Drill_OfSupabaseSnapshot_Fails_WhenTheTeamsPartDiffers(string damage, string expectedObject)
    {
        using var dir = new TempDirectory();
        var context = await BackedUpAsync(dir);
        var drill = new DrillOperation(context)
        {
            AfterRestore = async (scratch, ct) =>
            {
                await using var connection = new NpgsqlConnection(scratch.ToNpgsql().ConnectionString);
                await connection.OpenAsync(ct);
                await using var command = new NpgsqlCommand(damage, connection);
                await command.ExecuteNonQueryAsync(ct);
            },
        };

        var error = await Assert.ThrowsAsync<DrillFailedException>(() => drill.RunAsync(new DrillRequest(), null, Ct));

        Assert.Contains(error.Report.Differences, d => d.Object == expectedObject);
    }

    private async Task<BulwarkContext> BackedUpAsync(TempDirectory dir)
    {
        var project = await supabase.CreateProjectAsync();
        var context = TestConfig.Context(dir, supabase.Url(project, withPassword: true), configure: config => config.Postgres.Profile = "supabase");
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        return context;
    }
}
