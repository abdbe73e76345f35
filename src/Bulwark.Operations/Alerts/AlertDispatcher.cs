using Bulwark.Operations.Health;
using Bulwark.Operations.Logging;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// Decides what to announce and sends it to every configured channel ('alerts:' in bulwark.yml). Each evaluation
/// covers one scope — a job ("job:backup") or the health check ("check:") — and compares the problems found now with
/// what each channel was told: a new (or changed) problem is sent, an unchanged one is not (unless 'remind-after'
/// has passed), and a problem that is gone is announced once as recovered. A delivery that fails is not recorded,
/// so it is tried again the next time. Every text goes through <see cref="SecretRedactor"/>.
/// </summary>
public sealed class AlertDispatcher
{
    public const string CheckScope = "check:";
    private static readonly HttpClient SharedHttp = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly BulwarkContext _context;
    private readonly IReadOnlyList<AlertChannel> _channels;

    public AlertDispatcher(BulwarkContext context, HttpClient? http = null)
    {
        _context = context;
        var settings = context.Settings.Alerts;
        var timeout = settings.TimeoutValue;
        var channels = new List<AlertChannel>();
        if (!string.IsNullOrWhiteSpace(settings.Webhook))
            channels.Add(new WebhookChannel(http ?? SharedHttp, settings.Webhook, slack: false, timeout));
        if (!string.IsNullOrWhiteSpace(settings.SlackWebhook))
            channels.Add(new WebhookChannel(http ?? SharedHttp, settings.SlackWebhook, slack: true, timeout));
        if (!string.IsNullOrWhiteSpace(settings.OnFailure))
            channels.Add(new CommandChannel(settings.OnFailure, recovery: false, timeout, context.Config.BaseDirectory, context.Time));
        if (!string.IsNullOrWhiteSpace(settings.OnRecovery))
            channels.Add(new CommandChannel(settings.OnRecovery, recovery: true, timeout, context.Config.BaseDirectory, context.Time));
        _channels = channels;
    }

    public bool Configured => _channels.Count > 0;

    private string StatePath => Path.Combine(_context.Config.StateDirectory, "alerts.json");

    /// <summary>The findings of a health check at or above 'alerts.min-status' are its problems.</summary>
    public Task<AlertDelivery> NotifyCheckAsync(HealthReport report, CancellationToken cancellationToken)
    {
        var minimum = _context.Settings.Alerts.MinStatus == "critical" ? HealthStatus.Critical : HealthStatus.Warning;
        var problems = report.Findings
            .Where(f => f.Status != HealthStatus.Ok && f.Status.Severity() >= minimum.Severity())
            .Select(f => new AlertProblem(CheckScope + f.Check, f.Status, $"check {f.Check}", f.Summary, f.Advice, f.Status.Label()))
            .ToList();
        // Only a check that ran can recover: a quick check without the integrity check says nothing about it.
        var ran = report.Findings.Select(f => CheckScope + f.Check).ToHashSet(StringComparer.Ordinal);
        return EvaluateAsync(CheckScope, problems, cancellationToken, ran);
    }

    /// <summary>A job's run: a failure is its problem; a success resolves it.</summary>
    public Task<AlertDelivery> NotifyJobAsync(string job, BulwarkException? failure, CancellationToken cancellationToken)
    {
        var scope = $"job:{job}";
        if (failure is null)
            return EvaluateAsync(scope, [], cancellationToken);
        // The snapshot is safe when only its copy failed: a warning, told apart from a failed backup.
        var copyOnly = failure is Backup.CopyAfterBackupFailedException;
        var status = copyOnly ? HealthStatus.Warning
            : failure.Kind == ErrorKind.Integrity || job is Scheduling.JobNames.Backup or Scheduling.JobNames.Drill ? HealthStatus.Critical
            : HealthStatus.Warning;
        var title = copyOnly ? $"copy after the scheduled {job} failed" : $"scheduled {job} failed";
        return EvaluateAsync(scope,
            [new AlertProblem(scope, status, title, failure.Message, failure.Advice, $"{status.Label()} {failure.Kind} {copyOnly}")],
            cancellationToken);
    }

    /// <summary>
    /// Compares <paramref name="problems"/> (everything wrong now within <paramref name="scope"/>: keys starting with
    /// it) with what each channel knows, and sends what is new and what recovered.
    /// </summary>
    /// <param name="evaluated">The keys that were looked at (default: every key in the scope); only those can recover.</param>
    public async Task<AlertDelivery> EvaluateAsync(string scope, IReadOnlyList<AlertProblem> problems,
        CancellationToken cancellationToken, IReadOnlySet<string>? evaluated = null)
    {
        if (_channels.Count == 0)
            return AlertDelivery.None;
        problems = problems.Select(Redacted).ToList();
        using var gate = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        var state = AlertState.Read(StatePath);
        var now = _context.Time.GetUtcNow();
        var remindAfter = _context.Settings.Alerts.RemindAfterValue;
        var sent = new List<AlertSent>();
        foreach (var channel in _channels)
        {
            if (!state.Channels.TryGetValue(channel.Id, out var open))
                state.Channels[channel.Id] = open = new Dictionary<string, OpenProblem>(StringComparer.Ordinal);
            var items = new List<AlertItem>();
            var ongoing = new List<AlertItem>();
            foreach (var problem in problems)
            {
                var change = !open.TryGetValue(problem.Key, out var known) ? "new"
                    : known.Fingerprint != problem.Fingerprint ? "changed"
                    : remindAfter is { } r && now - known.LastSent >= r ? "reminder"
                    : null;
                var item = new AlertItem(problem.Key, change ?? "ongoing", problem.Status.Label(), problem.Title, problem.Message, problem.Advice);
                (change is null ? ongoing : items).Add(item);
            }
            var recovered = open.Where(p => p.Key.StartsWith(scope, StringComparison.Ordinal) && problems.All(x => x.Key != p.Key) &&
                                            (evaluated is null || evaluated.Contains(p.Key)))
                .Select(p => new AlertItem(p.Key, "recovered", HealthStatus.Ok.Label(), p.Value.Title,
                    $"resolved (was {p.Value.Status.Label()} since {p.Value.Since:u}: {p.Value.Message})", null))
                .ToList();
            var announce = channel.SendsProblems && items.Count > 0;
            var recover = channel.SendsRecoveries && recovered.Count > 0;
            string? error = null;
            if (announce || recover)
            {
                var alert = Build(announce ? items.Concat(recover ? recovered : []).ToList() : recovered, ongoing, problems, now);
                try
                {
                    await channel.SendAsync(alert, cancellationToken).ConfigureAwait(false);
                }
                catch (BulwarkException e)
                {
                    error = SecretRedactor.Redact(e.Message);
                }
                sent.Add(new AlertSent(channel.Name, alert, error));
            }
            if (error is not null)
                continue;
            // Remember what the channel now knows (also what it was not told: a recovery-only channel tracks problems silently).
            foreach (var problem in problems)
            {
                open.TryGetValue(problem.Key, out var known);
                var told = items.Any(i => i.Key == problem.Key);
                open[problem.Key] = new OpenProblem
                {
                    Status = problem.Status,
                    Fingerprint = problem.Fingerprint,
                    Title = problem.Title,
                    Message = problem.Message,
                    Since = known?.Since ?? now,
                    LastSent = told || known is null ? now : known.LastSent,
                };
            }
            foreach (var item in recovered)
                open.Remove(item.Key);
        }
        OwnerOnly.CreateFolder(_context.Config.StateDirectory);
        state.Write(StatePath);
        return new AlertDelivery(sent);
    }

    private Alert Build(IReadOnlyList<AlertItem> items, IReadOnlyList<AlertItem> ongoing, IReadOnlyList<AlertProblem> open,
        DateTimeOffset now)
    {
        var host = _context.RepositoryOptions.HostName;
        string? repository;
        try
        {
            repository = SecretRedactor.Redact(_context.RepositoryDisplay);
        }
        catch (BulwarkException)
        {
            repository = null;
        }
        var problem = items.Any(i => i.Change != "recovered");
        var status = open.Count == 0 ? HealthStatus.Ok : HealthStatuses.Worst(open.Select(p => p.Status));
        var first = items.FirstOrDefault(i => i.Change != "recovered") ?? items[0];
        var title = problem
            ? $"Bulwark {status.Label()} on {host}: {first.Title}{(items.Count > 1 ? $" (+{items.Count - 1} more)" : "")}"
            : $"Bulwark on {host}: recovered: {string.Join(", ", items.Select(i => i.Title))}";
        return new Alert
        {
            Kind = problem ? "problem" : "recovery",
            Status = status.Label(),
            Host = host,
            Repository = repository,
            Time = now,
            Title = SecretRedactor.Redact(title),
            Items = items,
            Ongoing = ongoing,
        };
    }

    private static AlertProblem Redacted(AlertProblem p) => p with
    {
        Title = SecretRedactor.Redact(p.Title),
        Message = SecretRedactor.Redact(p.Message),
        Advice = p.Advice is null ? null : SecretRedactor.Redact(p.Advice),
    };

    private static readonly TimeSpan Wait = TimeSpan.FromMilliseconds(100);

    /// <summary>One evaluation at a time across processes (a daemon and a cron-run check may overlap).</summary>
    private async Task<FileStream> AcquireAsync(CancellationToken cancellationToken)
    {
        OwnerOnly.CreateFolder(_context.Config.StateDirectory);
        var path = Path.Combine(_context.Config.StateDirectory, "alerts.lock");
        // Another process may be delivering: each of its deliveries ends within the timeout.
        var attempts = (int)((_context.Settings.Alerts.TimeoutValue * (2 * _channels.Count) + TimeSpan.FromSeconds(30)) / Wait);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, new FileStreamOptions
                {
                    Mode = FileMode.OpenOrCreate,
                    Access = FileAccess.ReadWrite,
                    Share = FileShare.None,
                    UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
                });
            }
            catch (IOException) when (attempt < attempts)
            {
                await Task.Delay(Wait, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new BulwarkException(ErrorKind.Failed, $"alerts not sent: another process held {path} too long ({e.Message})",
                    "they are sent at the next evaluation; if this repeats, look for a hung 'bulwark' process");
            }
        }
    }
}
