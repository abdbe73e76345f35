using Bulwark.Operations.Alerts;
using Bulwark.Operations.Logging;
using Bulwark.Repository.Wal;

namespace Bulwark.Operations.Wal;

/// <summary>
/// 'wal push': archives one WAL file (archive_command's %p). Lean on purpose, since PostgreSQL starts one process per
/// segment: it opens the repository, stats the name, and puts one object; no lock (an object that is written once and
/// never changed needs none), no catalog, no listing. A failure is recorded in the operations log as "wal-push", which
/// the 'wal' health check reads; a conflict (same name, other content) also raises an alert.
/// </summary>
public sealed class WalPushOperation
{
    /// <summary>The operation name of push failures in the operations log.</summary>
    public const string LogName = "wal-push";

    private readonly BulwarkContext _context;

    public WalPushOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <param name="background">
    /// For --async: the command line that starts the background pusher (<see cref="WalAsyncArchiver"/>); a receipt of
    /// it for this very content answers without opening the repository. Null: a plain push.
    /// </param>
    public async Task<WalPushResult> RunAsync(string path, CancellationToken cancellationToken,
        Func<IReadOnlyList<string>>? background = null)
    {
        var start = _context.Time.GetUtcNow();
        var file = WalFileName.Parse(Path.GetFileName(path));
        string? repositoryId = null;
        try
        {
            if (!File.Exists(path))
                throw new BulwarkException(ErrorKind.Usage, $"{path} does not exist",
                    "archive_command must pass %p (the file's path relative to the data directory)");
            if (background is not null &&
                await new WalAsyncArchiver(_context).TryReceiptAsync(path, background, cancellationToken).ConfigureAwait(false))
                return new WalPushResult(file.Name, false, new FileInfo(path).Length) { Ahead = true };
            var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using (repository.ConfigureAwait(false))
            {
                repositoryId = repository.Config.Id;
                var outcome = await repository.Wal.PutFileAsync(file, path, cancellationToken).ConfigureAwait(false);
                return new WalPushResult(file.Name, outcome == WalPutOutcome.Stored, new FileInfo(path).Length);
            }
        }
        catch (BulwarkException e) when (e.Kind != ErrorKind.Cancelled)
        {
            Record(file, start, repositoryId, e);
            if (e.Kind == ErrorKind.WalConflict)
                await AlertAsync(file, e, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    private void Record(WalFileName file, DateTimeOffset start, string? repositoryId, BulwarkException e)
    {
        var end = _context.Time.GetUtcNow();
        string? repository;
        try
        {
            repository = _context.RepositoryDisplay;
        }
        catch (BulwarkException)
        {
            repository = null;
        }
        try
        {
            _context.Log.Append(new OperationRecord
            {
                Id = Guid.NewGuid().ToString("N")[..16],
                Operation = LogName,
                Start = start,
                End = end,
                Outcome = OperationLog.Failed,
                DurationMs = (long)(end - start).TotalMilliseconds,
                Repository = repository,
                RepositoryId = repositoryId,
                Error = e.Message,
                ErrorKind = e.Kind.ToString(),
                Host = _context.RepositoryOptions.HostName,
                Details = new Dictionary<string, string> { ["file"] = file.Name },
            });
        }
        catch (BulwarkException)
        {
            // The push's own error is what PostgreSQL and the user need to see; a lost record does not hide it.
        }
    }

    private async Task AlertAsync(WalFileName file, BulwarkException e, CancellationToken cancellationToken)
    {
        try
        {
            var key = $"wal:conflict:{file.Name}";
            await new AlertDispatcher(_context).EvaluateAsync(key,
                [new AlertProblem(key, Health.HealthStatus.Critical, $"wal push of {file.Name} refused", e.Message, e.Advice, "conflict")],
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception alertError) when (alertError is not OperationCanceledException)
        {
            _context.Warning?.Invoke($"the alert about {file.Name} could not be sent: {alertError.Message}");
        }
    }
}
