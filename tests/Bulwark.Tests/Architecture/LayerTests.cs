using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Bulwark.Tests.Architecture;

/// <summary>
/// The layers of docs/architecture.md, read from the compiled assemblies: which assemblies each one references, and
/// which types it uses from them (every type named in its code or in the signatures of the members it calls).
/// </summary>
public sealed class LayerTests
{
    private static readonly Assembly Cli = typeof(Bulwark.Cli.CliApplication).Assembly;
    private static readonly Assembly Operations = typeof(Bulwark.Operations.BulwarkContext).Assembly;
    private static readonly Assembly Sources = typeof(Bulwark.Sources.Postgres.PostgresBackup).Assembly;
    private static readonly Assembly Repository = typeof(Bulwark.Repository.BackupRepository).Assembly;
    private static readonly Assembly Storage = typeof(Bulwark.Storage.IStorageBackend).Assembly;
    private static readonly Assembly Errors = typeof(BulwarkException).Assembly;

    /// <summary>
    /// The command line may name, from below Bulwark.Operations, only data: the records operations return for display
    /// (records, value types, enums) and the errors it maps to exit codes. Nothing that opens, reads or changes a
    /// repository or a backend: that is an operation's work.
    /// </summary>
    [Fact]
    public void Cli_UsesOnlyDataFromRepositoryAndStorage()
    {
        var behaviour = TypesUsed(Cli)
            .Where(t => t.Assembly.StartsWith("Bulwark.Repository", StringComparison.Ordinal)
                        || t.Assembly.StartsWith("Bulwark.Storage", StringComparison.Ordinal))
            .Where(t => !IsData(Assembly.Load(t.Assembly).GetType(t.FullName, throwOnError: true)!))
            .Select(t => t.FullName)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(behaviour.Count == 0, "Bulwark.Cli uses, below Bulwark.Operations: " + string.Join(", ", behaviour));
    }

    [Fact]
    public void Cli_ReferencesOperationsAsItsOnlyBulwarkLayerAboveData()
    {
        // Guards the check above against a rename that would make it vacuous: the Cli does use lower-layer data.
        var used = TypesUsed(Cli).Select(t => t.FullName).ToHashSet();
        Assert.Contains(typeof(Bulwark.Repository.Snapshots.SnapshotManifest).FullName!, used);
        Assert.DoesNotContain(typeof(Bulwark.Repository.BackupRepository).FullName!, used);
        Assert.DoesNotContain(typeof(Bulwark.Storage.IStorageBackend).FullName!, used);
    }

    [Fact]
    public void Sources_DoesNotReferenceOperationsOrCli() =>
        AssertReferencesNone(Sources, "Bulwark.Operations", "Bulwark.Cli");

    [Fact]
    public void Repository_DoesNotReferenceSourcesOperationsOrCli() =>
        AssertReferencesNone(Repository, "Bulwark.Sources", "Bulwark.Versioning", "Bulwark.Operations", "Bulwark.Cli");

    [Fact]
    public void Storage_ReferencesOnlyTheErrorTaxonomy() =>
        Assert.Equal(["Bulwark.Errors"], BulwarkReferences(Storage));

    [Fact]
    public void ErrorTaxonomy_LivesOutsideStorage_AndReferencesNoOtherBulwarkAssembly()
    {
        Assert.Equal("Bulwark.Errors", Errors.GetName().Name);
        Assert.Equal(Errors, typeof(ErrorKind).Assembly);
        Assert.Empty(BulwarkReferences(Errors));
    }

    [Fact]
    public void Repository_KeepsItsBackendAndCodecInside()
    {
        // Outside the Repository project, objects are reached through the repository's methods, never raw.
        Type[] hidden = [typeof(Bulwark.Storage.IStorageBackend), typeof(Bulwark.Repository.Format.ObjectCodec)];
        var exposed = new[] { typeof(Bulwark.Repository.BackupRepository), typeof(Bulwark.Repository.BulwarkRepositoryContext) }
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Where(m => m switch
            {
                PropertyInfo p => hidden.Contains(p.PropertyType),
                FieldInfo f => hidden.Contains(f.FieldType),
                MethodInfo method => hidden.Contains(method.ReturnType) && !method.IsSpecialName,
                _ => false,
            })
            .Select(m => $"{m.DeclaringType!.Name}.{m.Name}");
        Assert.Empty(exposed);
    }

    private static List<string> BulwarkReferences(Assembly assembly) =>
        assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(n => n.StartsWith("Bulwark", StringComparison.Ordinal)).ToList();

    private static bool IsData(Type type) =>
        type.IsEnum || type.IsValueType || typeof(Exception).IsAssignableFrom(type)
        || type.GetMethod("<Clone>$") is not null; // a record

    private static void AssertReferencesNone(Assembly assembly, params string[] forbidden)
    {
        var referenced = assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        foreach (var name in forbidden)
            Assert.DoesNotContain(name, referenced);
    }

    /// <summary>Every type <paramref name="assembly"/> refers to in another assembly, with that assembly's name.</summary>
    private static IReadOnlyList<(string Assembly, string FullName)> TypesUsed(Assembly assembly)
    {
        using var pe = new PEReader(File.OpenRead(assembly.Location));
        var metadata = pe.GetMetadataReader();
        var result = new List<(string, string)>();
        foreach (var handle in metadata.TypeReferences)
        {
            var type = metadata.GetTypeReference(handle);
            var name = metadata.GetString(type.Name);
            // A nested type's scope is its enclosing type: climb to the outermost, which names the assembly.
            while (type.ResolutionScope.Kind == HandleKind.TypeReference)
            {
                type = metadata.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
                name = metadata.GetString(type.Name) + "+" + name;
            }
            if (type.ResolutionScope.Kind != HandleKind.AssemblyReference)
                continue;
            var reference = metadata.GetAssemblyReference((AssemblyReferenceHandle)type.ResolutionScope);
            var ns = metadata.GetString(type.Namespace);
            result.Add((metadata.GetString(reference.Name), ns.Length == 0 ? name : ns + "." + name));
        }
        return result;
    }
}
