using System.Globalization;
using Bulwark.Repository;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Verification;

namespace Bulwark.Operations.Verify;

/// <summary>Verifies one snapshot or all of them; see <see cref="RepositoryVerifier"/>.</summary>
public sealed class VerifyOperation
{
    private readonly BulwarkContext _context;

    public VerifyOperation(BulwarkContext context)
    {
        _context = context;
    }

    /// <param name="snapshot">"latest", an id prefix, or null for every snapshot.</param>
    public Task<VerifyReport> RunAsync(string? snapshot, bool readData, IProgress<long>? progress,
        CancellationToken cancellationToken) =>
        _context.RunLoggedAsync("verify", async scope =>
        {
            await using var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using var repositoryLock = await repository.LockAsync(LockMode.Shared, "verify", cancellationToken).ConfigureAwait(false);
            IReadOnlyList<ObjectId>? ids = null;
            if (snapshot is not null)
            {
                var resolved = await _context.ResolveSnapshotAsync(repository, snapshot, cancellationToken).ConfigureAwait(false);
                ids = [resolved.Id];
                scope.Snapshot = resolved.ShortId;
            }
            else if (_context.SnapshotFilter is { } filter)
            {
                // --source without a snapshot: every snapshot of that source.
                ids = (await repository.ScanSnapshotsAsync(cancellationToken).ConfigureAwait(false)).Snapshots
                    .Where(filter).Select(s => s.Id).ToList();
            }
            var report = await RepositoryVerifier.VerifyAsync(repository, ids, readData, progress, cancellationToken).ConfigureAwait(false);
            scope.Bytes = report.BytesRead;
            scope.Details["problems"] = report.Problems.Count.ToString(CultureInfo.InvariantCulture);
            scope.Details["readData"] = readData ? "true" : "false";
            if (readData)
                await RecordProofsAsync(repository, ids, report, cancellationToken).ConfigureAwait(false);
            if (!report.Ok)
                throw new VerificationFailedException(report);
            return report;
        });

    /// <summary>Records, per snapshot read in full, whether it verified (for retention and for list).</summary>
    private async Task RecordProofsAsync(BackupRepository repository, IReadOnlyList<ObjectId>? ids, VerifyReport report,
        CancellationToken cancellationToken)
    {
        ids ??= await repository.ListSnapshotIdsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var id in ids)
        {
            var shortId = id.ToShortString();
            var problems = report.Problems.Where(p => p.Snapshots.Contains(shortId)).ToList();
            await repository.AppendEventAsync(ProofRecord.EventKind, new ProofRecord
            {
                Snapshot = id.ToString(),
                Kind = ProofRecord.Verify,
                Passed = problems.Count == 0,
                Time = _context.Time.GetUtcNow(),
                Summary = problems.Count == 0 ? null : string.Join("; ", problems.Take(3).Select(p => $"{p.Object}: {p.Message}")),
            }, cancellationToken).ConfigureAwait(false);
        }
    }
}

/// <summary>Verification found problems; the report lists them.</summary>
public sealed class VerificationFailedException : BulwarkException
{
    public VerificationFailedException(VerifyReport report)
        : base(ErrorKind.Integrity,
            $"verification found {report.Problems.Count} problem{(report.Problems.Count == 1 ? "" : "s")}: " +
            string.Join("; ", report.Problems.Take(3).Select(p => $"{p.Object}: {p.Message} (breaks {string.Join(", ", p.Snapshots)})")),
            "restore from another snapshot that verifies, or copy the missing objects back from another copy of the repository")
    {
        Report = report;
    }

    public VerifyReport Report { get; }
}
