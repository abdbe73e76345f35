namespace Bulwark.Operations.Configuration;

/// <summary>
/// A configuration with where each value came from, so that a wrong value is reported with its file, key and line
/// (or its environment variable).
/// </summary>
public sealed class LoadedConfig
{
    private readonly IReadOnlyDictionary<string, int> _lines;
    private readonly IReadOnlyDictionary<string, string> _environmentKeys;
    private readonly Func<string, string?> _environment;

    internal LoadedConfig(BulwarkConfig config, string? filePath, string baseDirectory,
        IReadOnlyDictionary<string, int> lines, IReadOnlyDictionary<string, string> environmentKeys,
        Func<string, string?> environment)
    {
        Config = config;
        FilePath = filePath;
        BaseDirectory = baseDirectory;
        _lines = lines;
        _environmentKeys = environmentKeys;
        _environment = environment;
    }

    public BulwarkConfig Config { get; }

    /// <summary>The same file, lines and environment with <paramref name="config"/> in place (one source's view).</summary>
    public LoadedConfig With(BulwarkConfig config) =>
        new(config, FilePath, BaseDirectory, _lines, _environmentKeys, _environment);

    /// <summary>The file read, or null when none was found (defaults and environment only).</summary>
    public string? FilePath { get; }

    /// <summary>Relative paths in the configuration are relative to this folder.</summary>
    public string BaseDirectory { get; }

    /// <summary>Reads an environment variable the way this configuration was loaded (tests substitute it).</summary>
    public string? GetEnvironment(string name) => _environment(name);

    /// <summary>A configuration built in code (the demo, tests): no file, the given environment.</summary>
    public static LoadedConfig FromObject(BulwarkConfig config, string baseDirectory,
        Func<string, string?>? environment = null) =>
        new(config, null, baseDirectory, new Dictionary<string, int>(), new Dictionary<string, string>(),
            environment ?? Environment.GetEnvironmentVariable);

    /// <summary>
    /// A configuration error about <paramref name="key"/> (dotted path, e.g. "retention.max-age"), naming the
    /// environment variable or the file and line it came from.
    /// </summary>
    public BulwarkException Error(string key, string message, string? advice = null)
    {
        if (_environmentKeys.TryGetValue(key, out var variable))
            return new BulwarkException(ErrorKind.Configuration, $"{variable} (for '{key}'): {message}", advice);
        if (FilePath is not null && _lines.TryGetValue(key, out var line))
            return new BulwarkException(ErrorKind.Configuration, $"{FilePath}:{line}: '{key}': {message}", advice);
        return new BulwarkException(ErrorKind.Configuration,
            FilePath is null ? $"'{key}': {message}" : $"{FilePath}: '{key}': {message}", advice);
    }

    /// <summary>The line of a key in the file, when it is there.</summary>
    public int? LineOf(string key) => _lines.TryGetValue(key, out var line) ? line : null;

    /// <summary>An absolute path: '~' is the home folder, a relative path is relative to <see cref="BaseDirectory"/>.</summary>
    public string ResolvePath(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        return Path.GetFullPath(path, BaseDirectory);
    }

    /// <summary>A repository location: a folder is resolved like any path, a URL is left as it is.</summary>
    public string ResolveLocation(string location) =>
        Storage.BackendRegistry.SchemeOf(location) is null ? ResolvePath(location) : location;

    /// <summary>The local state folder.</summary>
    public string StateDirectory
    {
        get
        {
            if (!string.IsNullOrWhiteSpace(Config.State))
                return ResolvePath(Config.State);
            var xdg = _environment("XDG_STATE_HOME");
            var home = _environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(string.IsNullOrEmpty(xdg) ? Path.Combine(home, ".local", "state") : xdg, "bulwark");
        }
    }
}
