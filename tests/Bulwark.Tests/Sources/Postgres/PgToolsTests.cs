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

    [Theory]
    [InlineData("pg_dump")]
    [InlineData("pg_restore")]
    [InlineData("pg_dumpall")]
    [InlineData("psql")]
    [InlineData("pg_basebackup")]
    public async Task VersionReadFromTheProgramsFile_IsTheOneItPrints(string program)
    {
        var (path, _) = await new PgTools().FindAsync(program, null, TestContext.Current.CancellationToken);
        var printed = await Bulwark.Sources.Processes.ProcessRunner.RunAsync(path, ["--version"], null, TestContext.Current.CancellationToken);
        var inFile = PgTools.VersionInFile(path);
        Assert.NotNull(inFile);
        Assert.Contains($" {inFile.Value.Major}.{inFile.Value.Minor}", printed);
    }

    [Fact]
    public void AFileWithoutTheLine_OrWithTwoVersions_IsNotTrusted()
    {
        using var dir = new Bulwark.Tests.Infrastructure.TempDirectory();
        var script = dir.Combine("pg_dump");
        File.WriteAllText(script, "#!/bin/sh\nexec /usr/lib/postgresql/16/bin/pg_dump \"$@\"\n");
        Assert.Null(PgTools.VersionInFile(script));
        File.WriteAllText(script, "pg_dump (PostgreSQL) 15.4\0pg_dump (PostgreSQL) 16.1\0");
        Assert.Null(PgTools.VersionInFile(script));
        File.WriteAllText(script, "\0pg_dump (PostgreSQL) 16.1 (Debian 16.1-1)\0pg_dump (PostgreSQL) 16.1\0");
        Assert.Equal(new PgVersion(16, 1), PgTools.VersionInFile(script));
        Assert.Null(PgTools.VersionInFile(dir.Combine("absent")));
    }
}
