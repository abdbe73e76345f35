using System.Globalization;
using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;
using Bulwark.Storage.Locations;

namespace Bulwark.Storage.S3;

/// <summary>
/// Opens s3://BUCKET/PREFIX locations on AWS or any S3-compatible store. Credentials come from the standard AWS
/// sources: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (/ AWS_SESSION_TOKEN), a profile (AWS_PROFILE or
/// "?profile="), web identity, container or instance credentials. They never appear in a location.
/// </summary>
public sealed class S3BackendProvider : IBackendProvider
{
    private static readonly string[] AllowedOptions = ["endpoint", "region", "path-style", "profile"];

    private readonly S3Options _defaults;
    private readonly Func<string, string?> _environment;

    /// <param name="environment">How environment variables are read (tests substitute it).</param>
    public S3BackendProvider(S3Options? defaults = null, Func<string, string?>? environment = null)
    {
        _defaults = defaults ?? new S3Options();
        _environment = environment ?? Environment.GetEnvironmentVariable;
    }

    public IReadOnlyCollection<string> Schemes { get; } = ["s3"];

    public IStorageBackend Open(string location)
    {
        var parsed = LocationQuery.Parse(location, "bucket", AllowedOptions);
        var endpoint = parsed.Option("endpoint") ?? _defaults.Endpoint ?? Env("AWS_ENDPOINT_URL_S3") ?? Env("AWS_ENDPOINT_URL");
        var pathStyle = parsed.Option("path-style") is { } flag
            ? ParseBool(flag, location)
            : _defaults.PathStyle ?? endpoint is not null;
        var profile = parsed.Option("profile") ?? _defaults.Profile;
        var region = parsed.Option("region") ?? _defaults.Region ?? Env("AWS_REGION") ?? Env("AWS_DEFAULT_REGION");

        var config = new AmazonS3Config
        {
            ForcePathStyle = pathStyle,
            // Retries happen in one place, the retry decorator, which knows transient from permanent failures.
            MaxErrorRetry = 0,
            Timeout = _defaults.Timeout,
            // Checksums only where S3 requires them: the repository checks every object it reads anyway, and
            // S3-compatible servers do not all understand the newer checksum headers.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (endpoint is not null)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
                throw new BulwarkException(ErrorKind.Configuration, $"the S3 endpoint '{BackendRegistry.RedactUserInfo(endpoint)}' is not an http(s) URL",
                    "set it like https://s3.example.com or http://127.0.0.1:9000");
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region ?? "us-east-1");
        }
        var credentials = Credentials(profile, location);
        var client = credentials is null ? new AmazonS3Client(config) : new AmazonS3Client(credentials, config);
        return new S3Backend(client, parsed.Container, parsed.Prefix, Redact(location),
            endpoint is null ? null : BackendRegistry.RedactUserInfo(endpoint), _defaults);
    }

    public string Redact(string location) => LocationQuery.Redacted(location);

    /// <summary>Explicit credentials when the environment or a profile names them; null lets the SDK search.</summary>
    private AWSCredentials? Credentials(string? profile, string location)
    {
        if (profile is not null)
        {
            if (new CredentialProfileStoreChain().TryGetAWSCredentials(profile, out var fromProfile))
                return fromProfile;
            throw new BulwarkException(ErrorKind.Configuration,
                $"the AWS profile '{profile}' (for {Redact(location)}) is not in ~/.aws/credentials or ~/.aws/config",
                "create it with 'aws configure --profile NAME', or name another profile");
        }
        var key = Env("AWS_ACCESS_KEY_ID");
        var secret = Env("AWS_SECRET_ACCESS_KEY");
        if (key is null && secret is null)
            return null;
        if (key is null || secret is null)
            throw new BulwarkException(ErrorKind.Configuration,
                $"only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set",
                "set both, or neither to use an AWS profile or instance credentials");
        var token = Env("AWS_SESSION_TOKEN");
        return token is null ? new BasicAWSCredentials(key, secret) : new SessionAWSCredentials(key, secret, token);
    }

    private string? Env(string name) => _environment(name) is { Length: > 0 } value ? value : null;

    private static bool ParseBool(string value, string location) => value.ToLower(CultureInfo.InvariantCulture) switch
    {
        "true" or "yes" or "1" or "on" => true,
        "false" or "no" or "0" or "off" => false,
        _ => throw new BulwarkException(ErrorKind.Configuration,
            $"path-style={value} in {LocationQuery.Redacted(location)} is not true or false", "use path-style=true or path-style=false"),
    };
}
