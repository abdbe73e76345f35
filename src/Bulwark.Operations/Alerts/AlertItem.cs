namespace Bulwark.Operations.Alerts;

/// <summary>One problem in an alert, as sent.</summary>
/// <param name="Change">new, changed, reminder, ongoing or recovered.</param>
/// <param name="Status">OK, WARNING, CRITICAL or UNKNOWN.</param>
public sealed record AlertItem(string Key, string Change, string Status, string Title, string Message, string? Advice);
