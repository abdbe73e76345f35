using Bulwark.Operations.Health.Checks;

namespace Bulwark.Operations.Health;

/// <summary>
/// Runs checks one after another. A check that throws gives a finding of its own (<see cref="CouldNotRun"/>)
/// and does not stop the others; only cancellation ends the run.
/// </summary>
internal sealed class HealthCheckRunner
{
    /// <summary>Every check, in the order of the findings.</summary>
    public static IReadOnlyList<IHealthCheck> AllChecks { get; } =
    [
        new BackupAgeCheck(), new IntegrityCheck(), new SizeCheck(), new LocksCheck(), new DrillCheck(), new RulesetsCheck(),
        new ModulesCheck(), new OperationsCheck(), new DiskCheck(), new PermissionsCheck(), new WalAgeCheck(), new WalGapsCheck(),
        new WalPushCheck(),
    ];

    private readonly IReadOnlyList<IHealthCheck> _checks;

    public HealthCheckRunner(IReadOnlyList<IHealthCheck>? checks = null)
    {
        _checks = checks ?? AllChecks;
    }

    public async Task<IReadOnlyList<HealthFinding>> RunAsync(HealthCheckContext context, CancellationToken cancellationToken)
    {
        var findings = new List<HealthFinding>();
        foreach (var check in _checks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            HealthFinding? finding;
            try
            {
                finding = await check.RunAsync(context, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                finding = CouldNotRun(check.Name, e);
            }
            if (finding is not null)
                findings.Add(finding);
        }
        return findings;
    }

    /// <summary>A check that could not run: UNKNOWN, or CRITICAL when the repository itself is damaged or unreachable.</summary>
    public static HealthFinding CouldNotRun(string check, Exception e) => e switch
    {
        BulwarkException { Kind: ErrorKind.Integrity } b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Critical, Summary = b.Message,
            Advice = b.Advice ?? "run 'bulwark verify' to see what is damaged",
        },
        BulwarkException { Kind: ErrorKind.StorageUnavailable or ErrorKind.Repository } b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Critical, Summary = b.Message, Advice = b.Advice,
        },
        BulwarkException b => new HealthFinding
        {
            Check = check, Status = HealthStatus.Unknown, Summary = $"could not check: {b.Message}", Advice = b.Advice,
        },
        _ => new HealthFinding
        {
            Check = check, Status = HealthStatus.Unknown, Summary = $"could not check: {e.GetType().Name}: {e.Message}",
            Advice = "run again with --verbose, and report it if it persists",
        },
    };
}
