using Bulwark.Sources.Postgres;

namespace Bulwark.Tests.Sources.Postgres;

public sealed class PgToolsTests
{
    [Fact]
    public void OlderThanTheServer_IsRefusedWithWhatToInstall()
    {
        var found = ("/opt/pg14/bin/pg_dump", new PgVersion(14, 9));
        var error = Assert.Throws<BulwarkException>(() => PgTools.CheckServer("pg_dump", found, 15));
        Assert.Equal(ErrorKind.ToolMissing, error.Kind);
        Assert.Contains("pg_dump 14.9 (/opt/pg14/bin/pg_dump) is older than the server (PostgreSQL 15)", error.Message);
        Assert.Contains("postgresql-client-15", error.Advice);
        Assert.Equal(found, PgTools.CheckServer("pg_dump", found, 14));
        Assert.Equal(found, PgTools.CheckServer("pg_dump", found, 13));
    }

    [Fact]
    public async Task DebiansWrapper_IsPassedOver_ForTheProgramItWouldRun()
    {
        const string wrapper = "/usr/share/postgresql-common/pg_wrapper";
        var versioned = Directory.Exists("/usr/lib/postgresql")
            ? Directory.EnumerateDirectories("/usr/lib/postgresql").Where(d => File.Exists(Path.Combine(d, "bin", "pg_dump"))).ToList()
            : [];
        if (!File.Exists(wrapper) || versioned.Count == 0)
            Assert.Skip("needs Debian's postgresql-common and a /usr/lib/postgresql/N/bin/pg_dump");

        var (path, version) = await new PgTools().FindAsync("pg_dump", null, TestContext.Current.CancellationToken);

        Assert.StartsWith("/usr/lib/postgresql/", path);
        Assert.NotEqual(wrapper, new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path);
        var newest = versioned.Max(d => int.Parse(Path.GetFileName(d), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(newest, version.Major);
    }
}
