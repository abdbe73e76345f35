using System.Text.Json;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Commands;

/// <summary>A Supabase project backed up through the real program.</summary>
public sealed class SupabaseCliTests(SupabaseFixture supabase)
{
    [Fact]
    public async Task Backup_OfASupabaseProject_IsTakenWithTheSupabaseProfile_AndListAndShowSaySo()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var cli = new CliRunner(dir.Path).With("PGPASSWORD", supabase.Server.Password);
        Assert.Equal(0, (await cli.RunAsync("init", "./repo")).ExitCode);

        var backup = await cli.RunAsync("backup", "--source", supabase.Url(project));
        Assert.True(backup.ExitCode == 0, backup.ToString());

        using var list = JsonDocument.Parse((await cli.RunAsync("list", "--json")).Stdout);
        Assert.Equal("supabase", Assert.Single(list.RootElement.GetProperty("snapshots").EnumerateArray()).GetProperty("profile").GetString());
        var show = await cli.RunAsync("show", "latest");
        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains("profile supabase", show.Stdout);
        Assert.Contains("supabase.json", show.Stdout);
        Assert.Contains("globals.sql", show.Stdout);
        using var showJson = JsonDocument.Parse((await cli.RunAsync("show", "latest", "--json")).Stdout);
        Assert.Equal("supabase", showJson.RootElement.GetProperty("source").GetProperty("profile").GetString());
    }
}
