using System.Net.Http.Json;
using System.Text.Json;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// POSTs an alert: the <see cref="Alert"/> document as JSON, or with <c>slack</c> a Slack-compatible payload
/// ({"text": …}, also understood by Mattermost and Rocket.Chat). A response other than 2xx is a failed delivery.
/// </summary>
internal sealed class WebhookChannel : AlertChannel
{
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly bool _slack;
    private readonly TimeSpan _timeout;

    public WebhookChannel(HttpClient http, string url, bool slack, TimeSpan timeout)
    {
        _http = http;
        _url = new Uri(url);
        _slack = slack;
        _timeout = timeout;
    }

    public override string Id => (_slack ? "slack-" : "webhook-") + Hash(_url.ToString());
    public override string Name => _slack ? $"slack webhook at {_url.Host}" : $"webhook at {_url.Host}";

    public override async Task SendAsync(Alert alert, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        HttpContent content = _slack
            ? JsonContent.Create(SlackPayload(alert), OperationsJson.TypeInfo<Dictionary<string, string>>())
            : JsonContent.Create(alert, OperationsJson.TypeInfo<Alert>());
        using (content)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.PostAsync(_url, content, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new BulwarkException(ErrorKind.Failed, $"{Name} did not answer within {_timeout.TotalSeconds:0} s");
            }
            catch (HttpRequestException e)
            {
                throw new BulwarkException(ErrorKind.Failed, $"{Name} is unreachable: {e.Message}");
            }
            using (response)
            {
                if (!response.IsSuccessStatusCode)
                    throw new BulwarkException(ErrorKind.Failed, $"{Name} answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }
        }
    }

    /// <summary>Slack's "text" with its light markup: a bold title, a bullet per item.</summary>
    internal static Dictionary<string, string> SlackPayload(Alert alert)
    {
        var lines = new List<string> { $"*{Escape(alert.Title)}*" };
        foreach (var item in alert.Items)
        {
            var label = item.Change == "recovered" ? "RECOVERED" : item.Change == "reminder" ? $"still {item.Status}" : item.Status;
            lines.Add($"• *{label}* {Escape(item.Title)}: {Escape(item.Message)}");
            if (item.Advice is not null && item.Change != "recovered")
                lines.Add($"   _what to do:_ {Escape(item.Advice)}");
        }
        foreach (var item in alert.Ongoing)
            lines.Add($"• still {item.Status} {Escape(item.Title)}: {Escape(item.Message)}");
        lines.Add($"host {Escape(alert.Host)}{(alert.Repository is null ? "" : $", repository {Escape(alert.Repository)}")}");
        return new Dictionary<string, string> { ["text"] = string.Join("\n", lines) };
    }

    /// <summary>Slack wants &amp;, &lt; and &gt; escaped in text.</summary>
    private static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    internal static string Serialize(Alert alert) => JsonSerializer.Serialize(alert, OperationsJson.TypeInfo<Alert>());
}
