using Bulwark.Repository;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Operations.Rulesets;

/// <summary>
/// The ruleset registry as configured in bulwark.yml ('rulesets:' and 'environments:'), over the configured
/// repository. Every method opens the repository, runs one <see cref="RulesetRegistry"/> call and closes it; changes
/// are recorded in the operations log. A null ruleset name means <see cref="DefaultName"/>.
/// </summary>
public sealed class RulesetOperations
{
    /// <summary>What '{ruleset}' in an environment's path stands for.</summary>
    public const string Placeholder = "{ruleset}";

    private readonly BulwarkContext _context;

    public RulesetOperations(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>The only configured ruleset, or the one named "ruleset" when several are.</summary>
    public string DefaultName
    {
        get
        {
            var configured = _context.Settings.Rulesets;
            if (configured.Count == 1)
                return configured.Keys.First();
            if (configured.ContainsKey("ruleset"))
                return "ruleset";
            throw new BulwarkException(ErrorKind.Usage,
                configured.Count == 0 ? "no ruleset is configured" : $"{configured.Count} rulesets are configured",
                configured.Count == 0
                    ? "add one under 'rulesets:' in bulwark.yml, e.g. 'ruleset: ruleset.yml'"
                    : $"name one with --name: {string.Join(", ", configured.Keys.Order(StringComparer.Ordinal))}");
        }
    }

    /// <summary>The registry options of a ruleset: its working file and each environment's file, resolved.</summary>
    public RulesetRegistryOptions OptionsFor(string? name = null)
    {
        name ??= DefaultName;
        RulesetRegistry.ValidateName(name);
        var config = _context.Config;
        var settings = _context.Settings;
        var environments = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (environment, template) in settings.Environments)
        {
            if (string.IsNullOrWhiteSpace(environment) || !environment.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                throw config.Error($"environments.{environment}", $"'{environment}' is not a valid environment name",
                    "use letters, digits, '.', '_' and '-'");
            if (string.IsNullOrWhiteSpace(template))
                throw config.Error($"environments.{environment}", "the path is empty", "give the file that activation writes");
            if (!template.Contains(Placeholder, StringComparison.Ordinal) && settings.Rulesets.Count > 1)
                throw config.Error($"environments.{environment}",
                    $"'{template}' has no {Placeholder} placeholder, but {settings.Rulesets.Count} rulesets are configured",
                    $"put {Placeholder} in the path so that each ruleset gets its own file, e.g. 'deploy/{environment}/{Placeholder}.yml'");
            environments[environment] = config.ResolvePath(template.Replace(Placeholder, name, StringComparison.Ordinal));
        }
        return new RulesetRegistryOptions
        {
            Name = name,
            SourcePath = settings.Rulesets.TryGetValue(name, out var source) && !string.IsNullOrWhiteSpace(source)
                ? config.ResolvePath(source)
                : null,
            Environments = environments,
        };
    }

    /// <summary>createRulesetVersion('patch', description, author): registers the working file as a new version.</summary>
    public Task<RulesetVersionInfo> CreateVersionAsync(VersionBump bump, string description, string author,
        string? prerelease = null, string? name = null, CancellationToken cancellationToken = default) =>
        _context.RunLoggedAsync("ruleset-create", scope => WithRegistryAsync(name, async registry =>
        {
            var created = await registry.CreateVersionAsync(bump, description, author, prerelease, cancellationToken).ConfigureAwait(false);
            scope.Details["ruleset"] = registry.Name;
            scope.Details["version"] = created.Version;
            scope.Bytes = created.Size;
            return created;
        }, cancellationToken));

    /// <summary>activateRulesetVersion('1.0.1'): writes the version to the environment's file and records it.</summary>
    public Task<ActivationResult> ActivateVersionAsync(string version, string environment, string? author = null,
        bool force = false, string? name = null, CancellationToken cancellationToken = default) =>
        Logged("ruleset-activate", name, registry =>
            registry.ActivateVersionAsync(version, environment, author ?? Environment.UserName, force, cancellationToken), cancellationToken);

    /// <summary>rollbackRulesetVersion('1.0.0'), or back to the previously active version when <paramref name="version"/> is null.</summary>
    public Task<ActivationResult> RollbackVersionAsync(string environment, string? version = null, string? author = null,
        bool force = false, string? name = null, CancellationToken cancellationToken = default) =>
        Logged("ruleset-rollback", name, registry =>
            registry.RollbackVersionAsync(environment, version, author ?? Environment.UserName, force, cancellationToken), cancellationToken);

    /// <summary>Activates in <paramref name="to"/> a version that is active in <paramref name="from"/>.</summary>
    public Task<ActivationResult> PromoteVersionAsync(string version, string from, string to, string? author = null,
        bool force = false, string? name = null, CancellationToken cancellationToken = default) =>
        Logged("ruleset-promote", name, registry =>
            registry.PromoteVersionAsync(version, from, to, author ?? Environment.UserName, force, cancellationToken), cancellationToken);

    /// <summary>getRulesetVersions(): every version and where it is active.</summary>
    public Task<IReadOnlyList<RulesetVersionInfo>> GetVersionsAsync(string? name = null, CancellationToken cancellationToken = default) =>
        WithRegistryAsync(name, registry => registry.GetVersionsAsync(cancellationToken), cancellationToken);

    /// <summary>Activations, rollbacks and promotions, oldest first (of one environment when given).</summary>
    public Task<IReadOnlyList<RulesetActivationRecord>> GetHistoryAsync(string? environment, string? name = null,
        CancellationToken cancellationToken = default) =>
        WithRegistryAsync(name, registry => registry.GetHistoryAsync(environment, cancellationToken), cancellationToken);

    /// <summary>A unified diff between two versions, or from a version to <paramref name="file"/> (default: the working file) when <paramref name="to"/> is null.</summary>
    public Task<string> DiffAsync(string from, string? to, string? file = null, string? name = null, CancellationToken cancellationToken = default) =>
        WithRegistryAsync(name, registry => registry.DiffAsync(from, to, file is null ? null : _context.Config.ResolvePath(file), cancellationToken), cancellationToken);

    /// <summary>Checks each environment's file of one ruleset against its active version.</summary>
    public Task<RulesetVerifyResult> VerifyAsync(string? name = null, CancellationToken cancellationToken = default) =>
        WithRegistryAsync(name, registry => registry.VerifyAsync(cancellationToken), cancellationToken);

    /// <summary>
    /// Drift of every ruleset that is configured or has versions in the repository (for 'bulwark check'): one check per
    /// ruleset and environment.
    /// </summary>
    public async Task<RulesetVerifyResult> VerifyAllAsync(CancellationToken cancellationToken = default)
    {
        await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        var names = (await RulesetRegistry.ListNamesAsync(repository, cancellationToken).ConfigureAwait(false))
            .Union(_context.Settings.Rulesets.Keys).Distinct().Order(StringComparer.Ordinal);
        var checks = new List<RulesetFileCheck>();
        foreach (var name in names)
        {
            var result = await new RulesetRegistry(repository, OptionsFor(name)).VerifyAsync(cancellationToken).ConfigureAwait(false);
            checks.AddRange(result.Checks);
        }
        return new RulesetVerifyResult(checks);
    }

    private Task<ActivationResult> Logged(string operation, string? name,
        Func<RulesetRegistry, Task<ActivationResult>> body, CancellationToken cancellationToken) =>
        _context.RunLoggedAsync(operation, scope => WithRegistryAsync(name, async registry =>
        {
            var result = await body(registry).ConfigureAwait(false);
            scope.Details["ruleset"] = registry.Name;
            scope.Details["environment"] = result.Environment;
            scope.Details["version"] = result.Version;
            if (result.Previous is not null)
                scope.Details["previous"] = result.Previous;
            return result;
        }, cancellationToken));

    private async Task<T> WithRegistryAsync<T>(string? name, Func<RulesetRegistry, Task<T>> body,
        CancellationToken cancellationToken)
    {
        var options = OptionsFor(name);
        await using BackupRepository repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
        return await body(new RulesetRegistry(repository, options)).ConfigureAwait(false);
    }
}
