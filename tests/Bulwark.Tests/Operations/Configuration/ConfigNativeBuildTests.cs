using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Bulwark.Operations.Configuration;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Operations.Configuration;

/// <summary>
/// The native build keeps only the configuration types that ConfigLoader.Load names with DynamicDependency; a section
/// added without being named there would load empty in that build only.
/// </summary>
public sealed class ConfigNativeBuildTests
{
    [Fact]
    public void Load_NamesEverySectionType_ForTheNativeBuild()
    {
        var kept = typeof(ConfigLoader).GetMethod(nameof(ConfigLoader.Load))!
            .GetCustomAttributes<DynamicDependencyAttribute>()
            .Select(a => a.Type)
            .ToHashSet();
        var reachable = new HashSet<Type>();
        Walk(typeof(BulwarkConfig), reachable);
        var missing = reachable.Where(t => !kept.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(missing.Count == 0, "add [DynamicDependency(Members, typeof(X))] to ConfigLoader.Load for: " + string.Join(", ", missing));
    }

    [Fact]
    public void Load_BuildsSectionsListsAndMappings_FromTheYamlNodes()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("bulwark.yml"),
            "repository: ./repo\nrulesets:\n  main: rules/main.yml\n" +
            "postgres:\n  exclude-table-data: [a, b]\n  url:\nbackup:\n  tags: ['x', \"y\"]\n  compression-level: 7\n");
        var config = ConfigLoader.Load(null, dir.Path, _ => null).Config;
        Assert.Equal(new Dictionary<string, string> { ["main"] = "rules/main.yml" }, config.Rulesets);
        Assert.Equal(["a", "b"], config.Postgres.ExcludeTableData);
        Assert.Null(config.Postgres.Url);
        Assert.Equal(["x", "y"], config.Backup.Tags);
        Assert.Equal(7, config.Backup.CompressionLevel);
    }

    [Fact]
    public void Load_FailsWithTheLine_WhenANumberIsNotANumber()
    {
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("bulwark.yml"), "repository: ./repo\nbackup:\n  compression-level: high\n");
        var e = Assert.Throws<BulwarkException>(() => ConfigLoader.Load(null, dir.Path, _ => null));
        Assert.Equal(ErrorKind.Configuration, e.Kind);
        Assert.Contains("bulwark.yml:3", e.Message);
        Assert.Contains("'backup.compression-level'", e.Message);
        Assert.Contains("wrong type", e.Message);
    }

    [Fact]
    public void KeyName_NamesEveryConfigurationProperty_AsYamlDotNetsHyphenatedConvention()
    {
        var reachable = new HashSet<Type>();
        Walk(typeof(BulwarkConfig), reachable);
        var names = reachable.Where(t => t.Namespace?.StartsWith("Bulwark", StringComparison.Ordinal) == true)
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            .Select(p => p.Name)
            .Concat(["S3Bucket", "URL", "Parallelism2", "A"])
            .Distinct()
            .ToList();
        Assert.True(names.Count > 50, $"only {names.Count} properties found");
        foreach (var name in names)
            Assert.Equal(YamlDotNet.Serialization.NamingConventions.HyphenatedNamingConvention.Instance.Apply(name), ConfigLoader.KeyName(name));
    }

    private static void Walk(Type type, HashSet<Type> seen)
    {
        if (!seen.Add(type))
            return;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var t = property.PropertyType;
            if (t.IsGenericType && (t.GetGenericTypeDefinition() == typeof(List<>) || t.GetGenericTypeDefinition() == typeof(Dictionary<,>)))
            {
                // The collection is built by the loader, and so are its items when they are sections.
                seen.Add(t);
                foreach (var item in t.GetGenericArguments().Where(a => a.IsClass && a != typeof(string)))
                    Walk(item, seen);
            }
            else if (t.IsClass && t != typeof(string))
                Walk(t, seen);
        }
    }
}
