using Bulwark.Operations.Health;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// Something an alert is about. <see cref="Key"/> names the problem ("job:backup", "check:backup-age");
/// <see cref="Fingerprint"/> says when it has changed enough to be announced again (its status, the kind of error) —
/// not its wording, which changes every run ("30 h old", "31 h old").
/// </summary>
public sealed record AlertProblem(string Key, HealthStatus Status, string Title, string Message, string? Advice,
    string Fingerprint);
