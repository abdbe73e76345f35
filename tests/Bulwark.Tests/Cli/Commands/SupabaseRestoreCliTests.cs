using System.Text.Json;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>A Supabase project restored through the real program, as its postgres role.</summary>
public sealed class SupabaseRestoreCliTests(SupabaseFixture supabase)
{
    [Fact]
    public async Task Restore_OfASupabaseSnapshot_IntoAFreshProject_SaysWhatItRestoredAndSkipped_AndRefusesAProjectInUse()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var fresh = await supabase.CreateProjectAsync(withTeam: false);
        var cli = new CliRunner(dir.Path).With("PGPASSWORD", supabase.Server.Password);
        Assert.Equal(0, (await cli.RunAsync("init", "./repo")).ExitCode);
        var backup = await cli.RunAsync("backup", "--source", supabase.Url(project));
        Assert.True(backup.ExitCode == 0, backup.ToString());

        var restore = await cli.RunAsync("restore", "latest", "--target", supabase.Url(fresh));

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("auth.users: 25 rows", restore.Stdout);
        Assert.Contains("added to the platform: trigger auth.users on_auth_user_created", restore.Stdout);
        Assert.Contains("skipped event trigger pgrst_ddl_watch", restore.Stdout);
        Assert.Equal(25L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM public.profiles"));

        // Restored, the project is in use: a second restore without --clean is refused in one line.
        var again = await cli.RunAsync("restore", "latest", "--target", supabase.Url(fresh), "--json");
        Assert.Equal(9, again.ExitCode);
        using var error = JsonDocument.Parse(again.Stdout);
        Assert.Contains("holds more than the platform's part", error.RootElement.GetProperty("error").GetString());
        Assert.DoesNotContain("   at ", again.Stdout + again.Stderr);

        var clean = await cli.RunAsync("restore", "latest", "--target", supabase.Url(fresh), "--clean", "--json");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        using var json = JsonDocument.Parse(clean.Stdout);
        var summary = json.RootElement.GetProperty("supabase");
        Assert.Contains(summary.GetProperty("platformRows").EnumerateArray(),
            r => r.GetProperty("table").GetString() == "auth.identities" && r.GetProperty("rows").GetInt64() == 25);
        Assert.Contains(summary.GetProperty("truncated").EnumerateArray(), t => t.GetString() == "auth.users");
        Assert.Equal(25L, await supabase.ScalarAsync<long>(fresh, "SELECT count(*) FROM public.profiles"));
    }
}
