namespace Bulwark.Storage.Locations;

/// <summary>
/// Splits an object-store location "scheme://container/prefix?key=value&amp;…" into its parts. Values are taken as
/// written (no percent-decoding is needed for endpoints and names), and unknown keys are refused so that a typo is
/// not silently ignored.
/// </summary>
public sealed class LocationQuery
{
    private LocationQuery(string scheme, string container, string prefix, IReadOnlyDictionary<string, string> options)
    {
        Scheme = scheme;
        Container = container;
        Prefix = prefix;
        Options = options;
    }

    public string Scheme { get; }

    /// <summary>The bucket or container.</summary>
    public string Container { get; }

    /// <summary>The folder inside it, without leading or trailing '/', or "".</summary>
    public string Prefix { get; }

    public IReadOnlyDictionary<string, string> Options { get; }

    public string? Option(string key) => Options.TryGetValue(key, out var value) ? value : null;

    /// <param name="what">"bucket" or "container", for messages.</param>
    /// <param name="allowed">The option keys this scheme understands.</param>
    public static LocationQuery Parse(string location, string what, IReadOnlyCollection<string> allowed)
    {
        var display = BackendRegistry.RedactUserInfo(location);
        var schemeEnd = location.IndexOf("://", StringComparison.Ordinal);
        var scheme = location[..schemeEnd].ToLowerInvariant();
        var rest = location[(schemeEnd + 3)..];
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var question = rest.IndexOf('?');
        if (question >= 0)
        {
            foreach (var pair in rest[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = pair.IndexOf('=');
                var key = equals < 0 ? pair : pair[..equals];
                var value = equals < 0 ? "true" : Uri.UnescapeDataString(pair[(equals + 1)..]);
                if (!allowed.Contains(key, StringComparer.OrdinalIgnoreCase))
                    throw new BulwarkException(ErrorKind.Configuration,
                        $"unknown option '{key}' in {Redacted(display)}",
                        $"the options of {scheme}:// locations are: {string.Join(", ", allowed)}");
                options[key] = value;
            }
            rest = rest[..question];
        }
        if (rest.Contains('@', StringComparison.Ordinal))
            throw new BulwarkException(ErrorKind.Configuration,
                $"{scheme}:// locations do not hold credentials: {Redacted(display)}",
                scheme == "s3"
                    ? "put the credentials in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile"
                    : "put the credentials in AZURE_STORAGE_CONNECTION_STRING, AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN");
        var slash = rest.IndexOf('/');
        var container = slash < 0 ? rest : rest[..slash];
        var prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
        if (container.Length == 0)
            throw new BulwarkException(ErrorKind.Configuration, $"no {what} in {Redacted(display)}",
                $"write it as {scheme}://{what.ToUpperInvariant()}/PREFIX");
        if (prefix.Length > 0)
        {
            try
            {
                ObjectNames.Validate(prefix);
            }
            catch (ArgumentException)
            {
                throw new BulwarkException(ErrorKind.Configuration, $"the prefix '{prefix}' in {Redacted(display)} is not valid",
                    "use letters, digits, '.', '_', '-' and '/' between non-empty folder names");
            }
        }
        return new LocationQuery(scheme, container, prefix, options);
    }

    /// <summary>The location with the values of secret-looking options replaced by "***".</summary>
    public static string Redacted(string location)
    {
        location = BackendRegistry.RedactUserInfo(location);
        var question = location.IndexOf('?');
        if (question < 0)
            return location;
        var parts = location[(question + 1)..].Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=');
            if (equals < 0)
                continue;
            var key = parts[i][..equals].ToLowerInvariant();
            if (key.Contains("key", StringComparison.Ordinal) || key.Contains("secret", StringComparison.Ordinal) ||
                key.Contains("sig", StringComparison.Ordinal) || key.Contains("token", StringComparison.Ordinal) ||
                key.Contains("sas", StringComparison.Ordinal) || key.Contains("password", StringComparison.Ordinal))
                parts[i] = parts[i][..(equals + 1)] + "***";
            else
                parts[i] = parts[i][..(equals + 1)] + BackendRegistry.RedactUserInfo(parts[i][(equals + 1)..]);
        }
        return location[..(question + 1)] + string.Join('&', parts);
    }
}
