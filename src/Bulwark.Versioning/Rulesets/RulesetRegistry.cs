using System.Text;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Versioning.Rulesets;

/// <summary>
/// The versions of one ruleset and their activations, kept in the repository as immutable events: versions in
/// events/rulesets/NAME/versions/ (content inline), activations in events/rulesets/NAME/activations/. Nothing is kept
/// elsewhere, so a copy or a restore of the repository brings the whole registry back, and every reader of the
/// repository sees the same registry.
/// <para>
/// Changes (create, activate, rollback, promote) hold the ruleset's lock (<see cref="RulesetLock"/>, a shared
/// repository lock), so two processes never choose the same version number or switch an environment at once.
/// Activation writes the environment's file atomically (<see cref="EnvironmentFiles"/>) before it records the event:
/// after a crash the file is the old or the new content, and running the activation again completes it. Version
/// numbers follow <see cref="RulesetVersionPolicy"/>; content rules are in <see cref="RulesetContent"/>.
/// </para>
/// </summary>
public sealed class RulesetRegistry
{
    /// <summary>The largest version event: the content in base64, with room for the rest of the record.</summary>
    public const int MaxEventSize = (int)(RulesetContent.MaxSize / 3 * 4) + (1 << 20);

    /// <summary>Where the registry keeps its records, under events/.</summary>
    public const string EventFolder = RepositoryLayout.RulesetEvents;

    private readonly BackupRepository _repository;
    private readonly RulesetRegistryOptions _options;
    private readonly EnvironmentFiles _environments;

    public RulesetRegistry(BackupRepository repository, RulesetRegistryOptions options)
    {
        ValidateName(options.Name);
        _repository = repository;
        _options = options;
        _environments = new EnvironmentFiles(options.Environments);
    }

    public string Name => _options.Name;

    public RulesetRegistryOptions Options => _options;

    private string VersionsKind => $"{EventFolder}/{Name}/versions";
    private string ActivationsKind => $"{EventFolder}/{Name}/activations";

    /// <summary>A ruleset name must be one plain path segment (it names objects in the repository).</summary>
    public static void ValidateName(string name)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.Length > 100 ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            throw new BulwarkException(ErrorKind.Usage, $"'{name}' is not a valid ruleset name",
                "use letters, digits, '.', '_' and '-'");
    }

    /// <summary>Names of every ruleset with at least one version in the repository.</summary>
    public static async Task<IReadOnlyList<string>> ListNamesAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var prefix = RepositoryLayout.EventFolder(EventFolder);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in await repository.ListEventNamesAsync(EventFolder, cancellationToken).ConfigureAwait(false))
        {
            var rest = name[prefix.Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash > 0 && rest[(slash + 1)..].StartsWith("versions/", StringComparison.Ordinal))
                names.Add(rest[..slash]);
        }
        return names.ToList();
    }

    // ---- reading ----

    /// <summary>Every version with its content, in the order they were registered.</summary>
    public async Task<IReadOnlyList<RulesetVersionRecord>> ReadVersionsAsync(CancellationToken cancellationToken)
    {
        var records = await _repository.ReadEventsAsync<RulesetVersionRecord>(VersionsKind, cancellationToken,
            maxSize: MaxEventSize, json: VersioningJson.Options).ConfigureAwait(false);
        return records.OrderBy(r => r.Sequence).ThenBy(r => r.Time).ToList();
    }

    /// <summary>Every activation (rollbacks and promotions included), oldest first; of one environment when given.</summary>
    public async Task<IReadOnlyList<RulesetActivationRecord>> GetHistoryAsync(string? environment = null,
        CancellationToken cancellationToken = default)
    {
        if (environment is not null)
            _ = _environments.PathOf(environment);
        var records = await ReadActivationsAsync(cancellationToken).ConfigureAwait(false);
        return environment is null ? records : records.Where(r => r.Environment == environment).ToList();
    }

    /// <summary>Environment → the version active there now.</summary>
    public async Task<IReadOnlyDictionary<string, string>> GetActiveVersionsAsync(CancellationToken cancellationToken = default) =>
        Active(await ReadActivationsAsync(cancellationToken).ConfigureAwait(false))
            .ToDictionary(p => p.Key, p => p.Value.Version, StringComparer.Ordinal);

    /// <summary>
    /// Every version (without content) in semantic-version order, with the environments where each is active
    /// (the original system's getRulesetVersions()).
    /// </summary>
    public async Task<IReadOnlyList<RulesetVersionInfo>> GetVersionsAsync(CancellationToken cancellationToken = default)
    {
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var active = Active(await ReadActivationsAsync(cancellationToken).ConfigureAwait(false));
        return RulesetVersionPolicy.InVersionOrder(versions, v => v.Version)
            .Select(v => RulesetVersionInfo.From(v,
                active.Where(a => a.Value.Version == v.Version).Select(a => a.Key).Order(StringComparer.Ordinal).ToList()))
            .ToList();
    }

    /// <summary>One version with its content; an unknown or malformed version is a usage error.</summary>
    public async Task<RulesetVersionRecord> GetVersionAsync(string version, CancellationToken cancellationToken = default) =>
        Find(await ReadVersionsAsync(cancellationToken).ConfigureAwait(false), version);

    /// <summary>The registry's state for a snapshot manifest.</summary>
    public async Task<RulesetState> GetStateAsync(CancellationToken cancellationToken = default)
    {
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var active = Active(await ReadActivationsAsync(cancellationToken).ConfigureAwait(false));
        return new RulesetState
        {
            Name = Name,
            Latest = versions.Count == 0 ? null : versions[^1].Version,
            Versions = versions.Count,
            Active = active.ToDictionary(p => p.Key, p => p.Value.Version, StringComparer.Ordinal),
        };
    }

    /// <summary>
    /// A unified diff from version <paramref name="from"/> to version <paramref name="to"/>, or to
    /// <paramref name="file"/> (e.g. an environment's file that drifted), or else to the working file. Empty when
    /// they are the same.
    /// </summary>
    public async Task<string> DiffAsync(string from, string? to, string? file = null, CancellationToken cancellationToken = default)
    {
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var a = Find(versions, from);
        string newText, newLabel;
        if (to is not null)
        {
            var b = Find(versions, to);
            newText = Encoding.UTF8.GetString(RulesetContent.Checked(b));
            newLabel = $"{Name}@{b.Version}";
        }
        else
        {
            var path = file ?? _options.SourcePath
                ?? throw new BulwarkException(ErrorKind.Usage, $"no working file is configured for ruleset '{Name}'", "name two versions");
            if (!File.Exists(path))
                throw new BulwarkException(ErrorKind.Usage, $"{path} does not exist", "name an existing file, or two versions");
            newText = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false));
            newLabel = path;
        }
        return RulesetContent.Diff(Encoding.UTF8.GetString(RulesetContent.Checked(a)), newText, $"{Name}@{a.Version}", newLabel);
    }

    /// <summary>
    /// Checks every configured environment's file against the SHA-256 of the version active there. Drift and a
    /// missing file are problems; an environment where nothing was activated is reported, not a problem.
    /// </summary>
    public async Task<RulesetVerifyResult> VerifyAsync(CancellationToken cancellationToken = default)
    {
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var active = Active(await ReadActivationsAsync(cancellationToken).ConfigureAwait(false));
        var checks = new List<RulesetFileCheck>();
        foreach (var (environment, path) in _environments.All)
        {
            if (!active.TryGetValue(environment, out var activation))
            {
                checks.Add(new RulesetFileCheck { Ruleset = Name, Environment = environment, Path = path, Status = RulesetFileStatus.NotActivated });
                continue;
            }
            var expected = Find(versions, activation.Version).Sha256;
            var actual = await EnvironmentFiles.HashAsync(path, cancellationToken).ConfigureAwait(false);
            checks.Add(new RulesetFileCheck
            {
                Ruleset = Name,
                Environment = environment,
                Path = path,
                ActiveVersion = activation.Version,
                ExpectedSha256 = expected,
                ActualSha256 = actual,
                Status = actual is null ? RulesetFileStatus.Missing
                    : actual == expected ? RulesetFileStatus.Ok
                    : RulesetFileStatus.Drift,
                MatchesVersion = actual is null || actual == expected ? null : versions.LastOrDefault(v => v.Sha256 == actual)?.Version,
            });
        }
        return new RulesetVerifyResult(checks);
    }

    // ---- changing ----

    /// <summary>
    /// Registers the working file as a new version (the original system's createRulesetVersion). The file must be
    /// valid YAML and differ from the latest version. Without <paramref name="prerelease"/> the version is the next
    /// release (the first is 1.0.0); with it, a pre-release of that release (1.1.0-rc.1, then 1.1.0-rc.2, …).
    /// </summary>
    public async Task<RulesetVersionInfo> CreateVersionAsync(VersionBump bump, string description, string author,
        string? prerelease = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(description))
            throw new BulwarkException(ErrorKind.Usage, "a new version needs a description", "pass -m \"what changed\"");
        if (string.IsNullOrWhiteSpace(author))
            throw new BulwarkException(ErrorKind.Usage, "a new version needs an author", "pass --author NAME");
        if (prerelease is not null)
            RulesetVersionPolicy.ValidatePrereleaseLabel(prerelease);
        var (content, sha) = await RulesetContent.ReadWorkingFileAsync(Name, _options.SourcePath, cancellationToken).ConfigureAwait(false);
        RulesetContent.CheckYaml(content, _options.SourcePath!);

        await using var rulesetLock = await RulesetLock.AcquireAsync(_repository, Name, "create", _options.LockWait, cancellationToken).ConfigureAwait(false);
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var latest = versions.Count == 0 ? null : versions[^1];
        if (latest is not null && latest.Sha256 == sha)
            throw new BulwarkException(ErrorKind.Refused,
                $"{_options.SourcePath} is identical to version {latest.Version} of ruleset '{Name}'; nothing was registered",
                "change the file first, or activate the existing version");
        var version = RulesetVersionPolicy.NextVersion(versions.Select(v => v.Version), bump, prerelease).ToString();
        var record = new RulesetVersionRecord
        {
            Ruleset = Name,
            Version = version,
            Parent = latest?.Version,
            Sha256 = sha,
            Size = content.Length,
            Author = author.Trim(),
            Description = description.Trim(),
            Time = _repository.Time.GetUtcNow(),
            Host = _repository.Options.HostName,
            Sequence = (latest?.Sequence ?? 0) + 1,
            Source = _options.SourcePath,
            Content = content,
        };
        await _repository.AppendEventAsync(VersionsKind, record, cancellationToken, MaxEventSize, VersioningJson.Options).ConfigureAwait(false);
        return RulesetVersionInfo.From(record, []);
    }

    /// <summary>
    /// Writes <paramref name="version"/> to the environment's file and records the activation (the original system's
    /// activateRulesetVersion). Refused when the version is already active there, or when the file was changed by hand
    /// since the last activation (drift) unless <paramref name="force"/>.
    /// </summary>
    public Task<ActivationResult> ActivateVersionAsync(string version, string environment, string author,
        bool force = false, CancellationToken cancellationToken = default) =>
        SwitchAsync(RulesetActivationRecord.Activate, environment, author, force,
            (versions, _) => Find(versions, version), cancellationToken);

    /// <summary>
    /// Activates the version that was active before the current one (or <paramref name="version"/> when given) — the
    /// original system's rollbackRulesetVersion. Rollbacks walk back: after 1.0.0, 1.0.1, 1.0.2, two rollbacks lead
    /// to 1.0.1, then 1.0.0.
    /// </summary>
    public Task<ActivationResult> RollbackVersionAsync(string environment, string? version, string author,
        bool force = false, CancellationToken cancellationToken = default) =>
        SwitchAsync(RulesetActivationRecord.Rollback, environment, author, force, (versions, activations) =>
        {
            if (version is not null)
                return Find(versions, version);
            var stack = ActivationStack(activations.Where(a => a.Environment == environment));
            if (stack.Count == 0)
                throw new BulwarkException(ErrorKind.Usage, $"no version of ruleset '{Name}' was ever activated in {environment}",
                    "activate one with 'bulwark ruleset activate VERSION --env " + environment + "'");
            if (stack.Count == 1)
                throw new BulwarkException(ErrorKind.Usage,
                    $"nothing to roll back to in {environment}: {stack[0]} is the only version that was active there",
                    "name the version: 'bulwark ruleset rollback VERSION --env " + environment + "'");
            return Find(versions, stack[^2]);
        }, cancellationToken);

    /// <summary>Activates in <paramref name="to"/> the version that is active in <paramref name="from"/>, which must be <paramref name="version"/>.</summary>
    public Task<ActivationResult> PromoteVersionAsync(string version, string from, string to, string author,
        bool force = false, CancellationToken cancellationToken = default)
    {
        _ = _environments.PathOf(from);
        if (from == to)
            throw new BulwarkException(ErrorKind.Usage, $"cannot promote from {from} to itself", "name two different environments");
        return SwitchAsync(RulesetActivationRecord.Promote, to, author, force, (versions, activations) =>
        {
            var target = Find(versions, version);
            var inFrom = Active(activations).GetValueOrDefault(from);
            if (inFrom?.Version != target.Version)
                throw new BulwarkException(ErrorKind.Refused,
                    $"version {target.Version} of ruleset '{Name}' is not active in {from} ({(inFrom is null ? "nothing is active there" : $"{inFrom.Version} is")}); nothing was promoted",
                    $"promote only what runs in {from}, or activate it there first");
            return target;
        }, cancellationToken, from);
    }

    private async Task<ActivationResult> SwitchAsync(string action, string environment, string author, bool force,
        Func<IReadOnlyList<RulesetVersionRecord>, IReadOnlyList<RulesetActivationRecord>, RulesetVersionRecord> choose,
        CancellationToken cancellationToken, string? fromEnvironment = null)
    {
        var path = _environments.PathOf(environment);
        if (string.IsNullOrWhiteSpace(author))
            throw new BulwarkException(ErrorKind.Usage, "an activation needs an author", "pass --author NAME");
        await using var rulesetLock = await RulesetLock.AcquireAsync(_repository, Name, action, _options.LockWait, cancellationToken).ConfigureAwait(false);
        var versions = await ReadVersionsAsync(cancellationToken).ConfigureAwait(false);
        var activations = await ReadActivationsAsync(cancellationToken).ConfigureAwait(false);
        var target = choose(versions, activations);
        var current = Active(activations).GetValueOrDefault(environment);
        var onDisk = await EnvironmentFiles.HashAsync(path, cancellationToken).ConfigureAwait(false);
        var currentSha = current is null ? null : Find(versions, current.Version).Sha256;

        if (current?.Version == target.Version && !force)
            throw new BulwarkException(ErrorKind.Refused,
                $"version {target.Version} of ruleset '{Name}' is already active in {environment} (since {current.Time:u}, by {current.Author})" +
                (onDisk == target.Sha256 ? "" : $"; but {path} no longer matches it"),
                onDisk == target.Sha256
                    ? "nothing to do"
                    : "add --force to write the version to the file again");
        // The file may hold what the last activation wrote, or already the target (an activation that died before
        // recording its event); anything else is someone's change that an activation would silently destroy.
        if (onDisk is not null && onDisk != currentSha && onDisk != target.Sha256 && !force)
            throw new BulwarkException(ErrorKind.Refused,
                current is null
                    ? $"{path} exists and is not a version of ruleset '{Name}'; nothing was activated"
                    : $"{path} was changed since version {current.Version} was activated (drift); nothing was activated",
                "keep the change with 'bulwark ruleset create', or add --force to replace the file");

        await EnvironmentFiles.WriteAsync(path, RulesetContent.Checked(target), cancellationToken).ConfigureAwait(false);
        var record = new RulesetActivationRecord
        {
            Ruleset = Name,
            Environment = environment,
            Version = target.Version,
            Previous = current?.Version,
            Action = action,
            FromEnvironment = fromEnvironment,
            Author = author.Trim(),
            Time = _repository.Time.GetUtcNow(),
            Host = _repository.Options.HostName,
            Path = path,
            Sha256 = target.Sha256,
            Sequence = (activations.Count == 0 ? 0 : activations.Max(a => a.Sequence)) + 1,
        };
        await _repository.AppendEventAsync(ActivationsKind, record, cancellationToken, json: VersioningJson.Options).ConfigureAwait(false);
        return new ActivationResult(record);
    }

    // ---- helpers ----

    private RulesetVersionRecord Find(IReadOnlyList<RulesetVersionRecord> versions, string text)
    {
        var wanted = RulesetVersionPolicy.ParseVersion(text);
        var found = versions.FirstOrDefault(v => RulesetVersionPolicy.Is(v.Version, wanted));
        if (found is not null)
            return found;
        throw new BulwarkException(ErrorKind.Usage,
            versions.Count == 0
                ? $"ruleset '{Name}' has no versions yet (looked for {wanted})"
                : $"ruleset '{Name}' has no version {wanted}",
            versions.Count == 0
                ? "register one with 'bulwark ruleset create patch -m DESCRIPTION --author NAME'"
                : $"its versions are: {string.Join(", ", versions.TakeLast(8).Select(v => v.Version))}{(versions.Count > 8 ? " (latest 8)" : "")}");
    }

    private async Task<IReadOnlyList<RulesetActivationRecord>> ReadActivationsAsync(CancellationToken cancellationToken)
    {
        var records = await _repository.ReadEventsAsync<RulesetActivationRecord>(ActivationsKind, cancellationToken, json: VersioningJson.Options).ConfigureAwait(false);
        return records.OrderBy(r => r.Sequence).ThenBy(r => r.Time).ToList();
    }

    /// <summary>The latest activation of each environment.</summary>
    private static Dictionary<string, RulesetActivationRecord> Active(IEnumerable<RulesetActivationRecord> activations)
    {
        var active = new Dictionary<string, RulesetActivationRecord>(StringComparer.Ordinal);
        foreach (var activation in activations)
            active[activation.Environment] = activation;
        return active;
    }

    /// <summary>
    /// The versions an environment went through, as a stack: an activation pushes, a rollback pops back to its
    /// version (or pushes it when it was never active there).
    /// </summary>
    private static List<string> ActivationStack(IEnumerable<RulesetActivationRecord> activations)
    {
        var stack = new List<string>();
        foreach (var activation in activations)
        {
            var index = activation.Action == RulesetActivationRecord.Rollback ? stack.LastIndexOf(activation.Version) : -1;
            if (index >= 0)
                stack.RemoveRange(index + 1, stack.Count - index - 1);
            else if (stack.Count == 0 || stack[^1] != activation.Version)
                stack.Add(activation.Version);
        }
        return stack;
    }
}
