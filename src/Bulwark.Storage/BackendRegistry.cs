using Bulwark.Storage.Local;

namespace Bulwark.Storage;

/// <summary>
/// Chooses a backend by the location's scheme: a plain path or file:// is a local folder; other schemes come from
/// registered providers. Also the one place that knows how to print a location without its secrets.
/// </summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<string, IBackendProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Func<IStorageBackend, IStorageBackend>> _decorators = [];

    public BackendRegistry Register(IBackendProvider provider)
    {
        foreach (var scheme in provider.Schemes)
            _providers[scheme] = provider;
        return this;
    }

    /// <summary>Adds a wrapper applied to every backend this registry opens, innermost first.</summary>
    public BackendRegistry Decorate(Func<IStorageBackend, IStorageBackend> decorator)
    {
        _decorators.Add(decorator);
        return this;
    }

    public IStorageBackend Open(string location)
    {
        var backend = OpenUndecorated(location);
        foreach (var decorate in _decorators)
            backend = decorate(backend);
        return backend;
    }

    public string Redact(string location)
    {
        var scheme = SchemeOf(location);
        if (scheme is null)
            return location;
        return _providers.TryGetValue(scheme, out var provider) ? provider.Redact(location) : RedactUserInfo(location);
    }

    /// <summary>The scheme of a URI-like location, or null for a plain path (including "C:\…" on Windows).</summary>
    public static string? SchemeOf(string location)
    {
        var colon = location.IndexOf("://", StringComparison.Ordinal);
        if (colon <= 1)
            return null;
        var scheme = location[..colon];
        return scheme.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.') ? scheme.ToLowerInvariant() : null;
    }

    /// <summary>Replaces the password of "scheme://user:password@host/…" with "***".</summary>
    public static string RedactUserInfo(string location)
    {
        var start = location.IndexOf("://", StringComparison.Ordinal);
        if (start < 0)
            return location;
        start += 3;
        var at = location.IndexOf('@', start);
        var slash = location.IndexOf('/', start);
        if (at < 0 || (slash >= 0 && at > slash))
            return location;
        var colon = location.IndexOf(':', start);
        if (colon < 0 || colon > at)
            return location;
        return string.Concat(location.AsSpan(0, colon + 1), "***", location.AsSpan(at));
    }

    private IStorageBackend OpenUndecorated(string location)
    {
        if (string.IsNullOrWhiteSpace(location))
            throw new BulwarkException(ErrorKind.Configuration, "no repository location is set",
                "pass --repo LOCATION, set 'repository:' in bulwark.yml, or set BULWARK_REPOSITORY");
        var scheme = SchemeOf(location);
        if (scheme is null)
            return new LocalBackend(ExpandHome(location));
        if (scheme == "file")
            return new LocalBackend(ExpandHome(new Uri(location).LocalPath));
        if (_providers.TryGetValue(scheme, out var provider))
            return provider.Open(location);
        throw new BulwarkException(ErrorKind.Configuration,
            $"unknown repository scheme '{scheme}' in {Redact(location)}",
            $"use a folder path{(_providers.Count > 0 ? " or one of: " + string.Join(", ", _providers.Keys.Order().Select(k => k + "://")) : "")}");
    }

    private static string ExpandHome(string path) =>
        path == "~" || path.StartsWith("~/", StringComparison.Ordinal)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "")
            : path;
}
