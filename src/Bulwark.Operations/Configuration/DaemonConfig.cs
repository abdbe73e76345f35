using System.Net;

namespace Bulwark.Operations.Configuration;

/// <summary>'bulwark daemon': where it serves /health and /metrics, and how it stops.</summary>
public sealed class DaemonConfig : IConfigSection
{
    public const string DefaultListen = "127.0.0.1:9577";

    /// <summary>Address and port of /health, /metrics and /status; "off" serves nothing. Port 0 picks a free one.</summary>
    public string? Listen { get; set; } = DefaultListen;

    /// <summary>
    /// A file holding the token that the dashboard, /status, /health and /metrics require (as a bearer token or the
    /// cookie of the login link printed at start). Required when 'listen' is not a loopback address.
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>On SIGTERM a running job may finish within this; then it is cancelled (nothing half-committed).</summary>
    public string ShutdownTimeout { get; set; } = "60s";

    /// <summary>How often the daemon re-runs the health check for /health, /metrics and alerts.</summary>
    public string HealthInterval { get; set; } = "5min";

    public TimeSpan ShutdownTimeoutValue =>
        DurationText.IsOff(ShutdownTimeout) || !DurationText.TryParse(ShutdownTimeout, out var value, out _) ? TimeSpan.Zero : value;

    public TimeSpan? HealthIntervalValue =>
        DurationText.IsOff(HealthInterval) || !DurationText.TryParse(HealthInterval, out var value, out _) ? null : value;

    /// <summary>The endpoint to listen on, or null when off.</summary>
    public IPEndPoint? ListenEndPoint => TryParseListen(Listen, out var endpoint, out _) ? endpoint : null;

    public void Validate(LoadedConfig config, string key)
    {
        if (!DurationText.IsOff(ShutdownTimeout) && !DurationText.TryParse(ShutdownTimeout, out _, out var error))
            throw config.Error($"{key}.shutdown-timeout", error!, DurationText.Advice);
        if (!DurationText.IsOff(HealthInterval))
        {
            if (!DurationText.TryParse(HealthInterval, out var interval, out error))
                throw config.Error($"{key}.health-interval", error!, DurationText.Advice);
            if (interval < TimeSpan.FromSeconds(10))
                throw config.Error($"{key}.health-interval", $"{HealthInterval} is less than 10s",
                    "a health check lists the repository; every few minutes is plenty (default 5min)");
        }
        if (!DurationText.IsOff(Listen) && !TryParseListen(Listen, out _, out error))
            throw config.Error($"{key}.listen", error!, $"write ADDRESS:PORT, e.g. {DefaultListen}, or off");
    }

    private static bool TryParseListen(string? text, out IPEndPoint? endpoint, out string? error)
    {
        endpoint = null;
        error = null;
        if (DurationText.IsOff(text))
            return false;
        var value = text!.Trim();
        if (value.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
            value = "127.0.0.1" + value["localhost".Length..];
        if (!IPEndPoint.TryParse(value, out endpoint) || !value.Contains(':', StringComparison.Ordinal))
        {
            error = $"'{text}' is not ADDRESS:PORT";
            endpoint = null;
            return false;
        }
        return true;
    }
}
