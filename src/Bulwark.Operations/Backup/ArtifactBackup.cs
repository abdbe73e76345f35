using Bulwark.Operations.Modules;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Files;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Backup;

/// <summary>
/// The versioned configuration a backup stores next to the database: the files of 'files:' as streams, the version
/// and SHA-256 of each module of 'modules:', and where the ruleset registry stands. Files are chosen before the
/// database is dumped, so that a missing file fails the backup before it starts.
/// </summary>
internal sealed class ArtifactBackup
{
    private readonly BulwarkContext _context;
    private readonly IReadOnlyList<SelectedFile> _files;
    private readonly IReadOnlyList<SelectedFile> _modules;

    private ArtifactBackup(BulwarkContext context, IReadOnlyList<SelectedFile> files, IReadOnlyList<SelectedFile> modules)
    {
        _context = context;
        _files = files;
        _modules = modules;
    }

    public bool HasFiles => _files.Count > 0 || _modules.Count > 0;

    public static ArtifactBackup Plan(BulwarkContext context)
    {
        var settings = context.Settings;
        var files = settings.Files.Count == 0 ? [] : FileSelector.Select(context.Config.BaseDirectory, settings.Files, "files");
        return new ArtifactBackup(context, files, new ModulesOperation(context).SelectFiles());
    }

    /// <summary>
    /// A backup is of files only when asked, or when files or modules are configured and no database is: no
    /// --source, no 'postgres.url', and none of PGHOST, PGHOSTADDR, PGDATABASE, PGSERVICE in the environment.
    /// </summary>
    public bool IsFilesOnly(BackupRequest request)
    {
        if (request.FilesOnly)
        {
            if (!HasFiles)
                throw new BulwarkException(ErrorKind.Usage, "--files-only, but no files or modules are configured",
                    "list them under 'files:' or 'modules:' in bulwark.yml");
            return true;
        }
        if (!HasFiles || request.Source is not null || !string.IsNullOrWhiteSpace(_context.Settings.Postgres.Url))
            return false;
        return new[] { "PGHOST", "PGHOSTADDR", "PGDATABASE", "PGSERVICE" }
            .All(v => string.IsNullOrEmpty(_context.Config.GetEnvironment(v)));
    }

    public static SourceInfo FilesSource => new() { Kind = "files" };

    public async Task<(IReadOnlyList<StreamEntry> Streams, IReadOnlyList<ModuleRecord>? Modules, IReadOnlyList<RulesetState>? Rulesets)>
        RunAsync(BackupRepository repository, StreamUploader uploader, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var streams = await FileStreams.UploadAsync(uploader, _files, progress, cancellationToken).ConfigureAwait(false);
        var modules = _modules.Count == 0
            ? null
            : await new ModulesOperation(_context).Scanner().ScanAsync(_modules, cancellationToken).ConfigureAwait(false);
        var rulesets = new List<RulesetState>();
        foreach (var name in await RulesetRegistry.ListNamesAsync(repository, cancellationToken).ConfigureAwait(false))
        {
            var registry = new RulesetRegistry(repository, new RulesetRegistryOptions { Name = name });
            rulesets.Add(await registry.GetStateAsync(cancellationToken).ConfigureAwait(false));
        }
        return (streams, modules, rulesets.Count == 0 ? null : rulesets);
    }
}
