using System.Text;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// What a webhook receives (as JSON) and a command hook reads on standard input. Every text in it has been through
/// <see cref="Logging.SecretRedactor"/>.
/// </summary>
public sealed record Alert
{
    /// <summary>"problem" (something new or changed is wrong) or "recovery" (problems are resolved).</summary>
    public required string Kind { get; init; }
    /// <summary>The worst status among the problems still open (OK for a recovery with nothing left).</summary>
    public required string Status { get; init; }
    public required string Host { get; init; }
    public string? Repository { get; init; }
    public required DateTimeOffset Time { get; init; }
    /// <summary>One line: "Bulwark CRITICAL on db1: backup failed".</summary>
    public required string Title { get; init; }
    /// <summary>Problems this alert announces (new, changed, reminders) or recoveries.</summary>
    public required IReadOnlyList<AlertItem> Items { get; init; }
    /// <summary>Problems still open that were announced before.</summary>
    public IReadOnlyList<AlertItem> Ongoing { get; init; } = [];

    /// <summary>The alert as plain text: a title line, then one paragraph per item with what to do.</summary>
    public string ToText()
    {
        var text = new StringBuilder(Title).Append('\n');
        foreach (var item in Items)
        {
            text.Append('\n').Append(Label(item)).Append(' ').Append(item.Title).Append(": ").Append(item.Message).Append('\n');
            if (item.Advice is not null && item.Change != "recovered")
                text.Append("  what to do: ").Append(item.Advice).Append('\n');
        }
        if (Ongoing.Count > 0)
        {
            text.Append('\n');
            foreach (var item in Ongoing)
                text.Append("still ").Append(item.Status).Append(' ').Append(item.Title).Append(": ").Append(item.Message).Append('\n');
        }
        text.Append('\n').Append("host ").Append(Host);
        if (Repository is not null)
            text.Append(", repository ").Append(Repository);
        text.Append(", ").Append(Time.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        return text.ToString();
    }

    private static string Label(AlertItem item) => item.Change switch
    {
        "recovered" => "RECOVERED",
        "reminder" => $"STILL {item.Status}",
        _ => item.Status,
    };
}
