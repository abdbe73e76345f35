using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Files;
using Bulwark.Tests.Infrastructure;
using Bulwark.Versioning.Modules;

namespace Bulwark.Tests.Versioning.Modules;

public sealed class ModuleVersionTests
{
    [Theory]
    [InlineData("/**\n * My module\n * @version 1.2.3\n */", "1.2.3")]
    [InlineData("# Plugin Name: x\n# Version: 2.0.1-beta.2\n", "2.0.1-beta.2")]
    [InlineData("__version__ = \"0.4\"\n", "0.4")]
    [InlineData("// version: v3.1.0\n", "3.1.0")]
    [InlineData("no header here\n", null)]
    public void DefaultPatterns_FindTheDeclaredVersion(string header, string? expected)
    {
        Assert.Equal(expected, new ModuleScanner().FindVersion(header));
    }

    [Fact]
    public void Version_BelowTheHeaderLines_IsNotFound()
    {
        var text = string.Concat(Enumerable.Repeat("x\n", 5)) + "@version 1.0.0\n";
        Assert.Null(new ModuleScanner(headerLines: 3).FindVersion(text));
        Assert.Equal("1.0.0", new ModuleScanner(headerLines: 10).FindVersion(text));
    }

    [Fact]
    public void ConfiguredPattern_ReplacesTheDefaults()
    {
        var scanner = new ModuleScanner([@"^-- rev (?<version>\S+)"]);
        Assert.Equal("7.1.0", scanner.FindVersion("-- rev 7.1.0\n@version 1.0.0"));
        Assert.Null(scanner.FindVersion("@version 1.0.0"));
    }

    [Fact]
    public async Task Scan_RecordsVersionAndSha256OfTheWholeFile()
    {
        using var directory = new TempDirectory();
        var path = directory.Combine("m.js");
        await File.WriteAllTextAsync(path, "// @version 1.0.0\nbody();\n", TestContext.Current.CancellationToken);
        var record = await new ModuleScanner().ScanAsync(new SelectedFile(path, "m.js"), TestContext.Current.CancellationToken);
        Assert.Equal("1.0.0", record.Version);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken))), record.Sha256);
        Assert.Equal(new FileInfo(path).Length, record.Size);
    }

    private static ModuleRecord Module(string path, string? version, string sha) => new() { Path = path, Version = version, Sha256 = sha };

    [Fact]
    public void Compare_FindsConflictsDowngradesAndReleases()
    {
        var previous = new[]
        {
            Module("same.js", "1.0.0", "a"),
            Module("conflict.js", "1.0.0", "b"),
            Module("down.js", "2.0.0", "c"),
            Module("up.js", "1.0.0", "d"),
            Module("gone.js", "1.0.0", "e"),
            Module("relabel.js", "1.0.0", "f"),
        };
        var current = new[]
        {
            Module("same.js", "1.0.0", "a"),
            Module("conflict.js", "1.0.0", "B"),
            Module("down.js", "1.9.0", "C"),
            Module("up.js", "1.0.1", "D"),
            Module("new.js", "0.1.0", "g"),
            Module("relabel.js", "1.0.1", "f"),
            Module("bare.js", null, "h"),
        };
        var changes = ModuleComparison.Compare(previous, current).ToDictionary(c => c.Path, c => c.Kind);
        Assert.Equal(ModuleChangeKind.Unchanged, changes["same.js"]);
        Assert.Equal(ModuleChangeKind.Conflict, changes["conflict.js"]);
        Assert.Equal(ModuleChangeKind.Downgraded, changes["down.js"]);
        Assert.Equal(ModuleChangeKind.Upgraded, changes["up.js"]);
        Assert.Equal(ModuleChangeKind.Removed, changes["gone.js"]);
        Assert.Equal(ModuleChangeKind.Added, changes["new.js"]);
        Assert.Equal(ModuleChangeKind.Relabelled, changes["relabel.js"]);
        Assert.Equal(ModuleChangeKind.NoVersion, changes["bare.js"]);
        var problems = ModuleComparison.Compare(previous, current).Where(c => c.IsProblem).Select(c => c.Path).Order().ToList();
        Assert.Equal(["bare.js", "conflict.js", "down.js"], problems);
    }

    [Fact]
    public void Compare_PrereleaseBelowItsRelease_IsADowngrade()
    {
        var changes = ModuleComparison.Compare([Module("m", "1.0.0", "a")], [Module("m", "1.0.0-rc.1", "b")]);
        Assert.Equal(ModuleChangeKind.Downgraded, Assert.Single(changes).Kind);
    }
}
