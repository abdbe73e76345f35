using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Files;
using Bulwark.Versioning.Modules;

namespace Bulwark.Operations.Modules;

/// <summary>
/// Module versions against the previous snapshot: the files on disk now against the latest snapshot that recorded
/// modules, or a given snapshot against the one before it. <see cref="ModulesReport.Ok"/> is what 'modules check'
/// (and the health check) judge.
/// </summary>
public sealed class ModulesOperation
{
    private readonly BulwarkContext _context;

    public ModulesOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>The configured module files with their stored paths (a configuration error when one is missing).</summary>
    public IReadOnlyList<SelectedFile> SelectFiles() =>
        _context.Settings.Modules.Paths.Count == 0
            ? []
            : FileSelector.Select(_context.Config.BaseDirectory, _context.Settings.Modules.Paths, "modules.paths");

    public ModuleScanner Scanner() => new(_context.Settings.Modules.Patterns, _context.Settings.Modules.HeaderLines);

    /// <param name="snapshot">Null: the files on disk against the latest snapshot. Otherwise that snapshot against the one before it.</param>
    public async Task<ModulesReport> CompareAsync(string? snapshot, CancellationToken cancellationToken)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        // One source's modules are compared with that source's snapshots only.
        var filter = _context.SnapshotFilter ?? (_ => true);
        var snapshots = (await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots
            .Where(s => s.Manifest.Modules is not null).ToList();
        if (snapshot is null)
        {
            var files = SelectFiles();
            if (files.Count == 0)
                throw new BulwarkException(ErrorKind.Usage, "no modules are configured",
                    "list them under 'modules: paths:' in bulwark.yml, or name a snapshot with --snapshot");
            var current = await Scanner().ScanAsync(files, cancellationToken).ConfigureAwait(false);
            var previous = snapshots.LastOrDefault(filter);
            return new ModulesReport
            {
                PreviousSnapshot = previous?.ShortId,
                Modules = ModuleComparison.Compare(previous?.Manifest.Modules, current),
            };
        }
        var chosen = await _context.ResolveSnapshotAsync(repository, snapshot, cancellationToken).ConfigureAwait(false);
        if (chosen.Manifest.Modules is null)
            throw new BulwarkException(ErrorKind.Usage, $"snapshot {chosen.ShortId} recorded no modules",
                "name a snapshot taken with 'modules:' configured");
        // The snapshot before it is of the same source, named with --source or not.
        var before = snapshots.LastOrDefault(s => s.Manifest.Source.Name == chosen.Manifest.Source.Name &&
                                                  (s.Manifest.Time < chosen.Manifest.Time ||
                                                   (s.Manifest.Time == chosen.Manifest.Time && s.Id < chosen.Id)));
        return new ModulesReport
        {
            Snapshot = chosen.ShortId,
            PreviousSnapshot = before?.ShortId,
            Modules = ModuleComparison.Compare(before?.Manifest.Modules, chosen.Manifest.Modules),
        };
    }
}
