using Bulwark.Operations.Logging;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// Where alerts go (docs/operations.md, "Alerts"): a failed scheduled job, a check that is not OK, and the recovery, each once.
/// Webhook URLs hold their secret in them, so they are treated as secrets (never printed or logged).
/// </summary>
public sealed class AlertsConfig : IConfigSection
{
    /// <summary>A URL that receives a generic JSON document (POST).</summary>
    public string? Webhook { get; set; }

    /// <summary>A Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat): {"text": …}.</summary>
    public string? SlackWebhook { get; set; }

    /// <summary>A shell command run for each problem alert; the alert is in BULWARK_ALERT_* variables and as JSON on standard input.</summary>
    public string? OnFailure { get; set; }

    /// <summary>A shell command run when problems are resolved.</summary>
    public string? OnRecovery { get; set; }

    /// <summary>The lowest check status that alerts: warning or critical.</summary>
    public string MinStatus { get; set; } = "warning";

    /// <summary>A problem that persists is announced again after this long; off: only once.</summary>
    public string RemindAfter { get; set; } = "off";

    /// <summary>How long one delivery (HTTP request or command) may take.</summary>
    public string Timeout { get; set; } = "10s";

    public bool Configured => !string.IsNullOrWhiteSpace(Webhook) || !string.IsNullOrWhiteSpace(SlackWebhook) ||
                              !string.IsNullOrWhiteSpace(OnFailure) || !string.IsNullOrWhiteSpace(OnRecovery);

    public TimeSpan? RemindAfterValue =>
        DurationText.IsOff(RemindAfter) || !DurationText.TryParse(RemindAfter, out var value, out _) ? null : value;

    public TimeSpan TimeoutValue =>
        DurationText.TryParse(Timeout ?? "", out var value, out _) && value > TimeSpan.Zero ? value : TimeSpan.FromSeconds(10);

    public void Validate(LoadedConfig config, string key)
    {
        foreach (var (name, url) in new[] { ("webhook", Webhook), ("slack-webhook", SlackWebhook) })
        {
            if (string.IsNullOrWhiteSpace(url))
                continue;
            SecretRedactor.Register(url);
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                throw config.Error($"{key}.{name}", "not an http(s) URL", "give the full URL of the webhook, e.g. https://hooks.example.com/…");
        }
        if (MinStatus is not ("warning" or "critical"))
            throw config.Error($"{key}.min-status", $"'{MinStatus}' is neither warning nor critical", "use warning (the default) or critical");
        if (!DurationText.IsOff(RemindAfter) && !DurationText.TryParse(RemindAfter, out _, out var error))
            throw config.Error($"{key}.remind-after", error!, DurationText.Advice);
        if (!DurationText.TryParse(Timeout ?? "", out var timeout, out error) || timeout <= TimeSpan.Zero)
            throw config.Error($"{key}.timeout", error ?? $"'{Timeout}' is not a positive duration", DurationText.Advice);
    }
}
