using Bulwark.Repository.Snapshots;
using Semver;

namespace Bulwark.Versioning.Modules;

/// <summary>Compares modules with those of the previous snapshot: releases, version conflicts, versions going backwards.</summary>
public static class ModuleComparison
{
    /// <param name="previous">The modules of the previous snapshot, or null when there is none.</param>
    public static IReadOnlyList<ModuleChange> Compare(IReadOnlyList<ModuleRecord>? previous, IReadOnlyList<ModuleRecord> current)
    {
        var before = (previous ?? []).ToDictionary(m => m.Path, StringComparer.Ordinal);
        var changes = new List<ModuleChange>();
        foreach (var module in current)
        {
            before.TryGetValue(module.Path, out var old);
            before.Remove(module.Path);
            changes.Add(new ModuleChange
            {
                Path = module.Path,
                Kind = Classify(old, module),
                PreviousVersion = old?.Version,
                Version = module.Version,
                PreviousSha256 = old?.Sha256,
                Sha256 = module.Sha256,
            });
        }
        changes.AddRange(before.Values.Select(old => new ModuleChange
        {
            Path = old.Path,
            Kind = ModuleChangeKind.Removed,
            PreviousVersion = old.Version,
            PreviousSha256 = old.Sha256,
        }));
        return changes.OrderBy(c => c.Path, StringComparer.Ordinal).ToList();
    }

    /// <summary>A version as modules write it (a leading 'v', a missing minor or patch are accepted), or null.</summary>
    public static SemVersion? ParseVersion(string? text) =>
        text is not null && SemVersion.TryParse(text, SemVersionStyles.Any, out var version) ? version : null;

    private static ModuleChangeKind Classify(ModuleRecord? old, ModuleRecord module)
    {
        var version = ParseVersion(module.Version);
        if (version is null)
            return ModuleChangeKind.NoVersion;
        if (old is null)
            return ModuleChangeKind.Added;
        var previous = ParseVersion(old.Version);
        var sameContent = old.Sha256 == module.Sha256;
        if (previous is null)
            return sameContent ? ModuleChangeKind.Relabelled : ModuleChangeKind.Upgraded;
        var order = version.ComparePrecedenceTo(previous);
        if (order < 0)
            return ModuleChangeKind.Downgraded;
        if (order == 0)
            return sameContent ? ModuleChangeKind.Unchanged : ModuleChangeKind.Conflict;
        return sameContent ? ModuleChangeKind.Relabelled : ModuleChangeKind.Upgraded;
    }
}
