namespace Bulwark.Operations.Scheduling;

/// <summary>The jobs a schedule can run; each is the command of the same meaning.</summary>
public static class JobNames
{
    public const string Backup = "backup";
    public const string Check = "check";
    public const string Cleanup = "cleanup";

    /// <summary>A restore drill of the newest snapshot ('bulwark test-restore').</summary>
    public const string Drill = "drill";

    public static IReadOnlyList<string> All { get; } = [Backup, Check, Cleanup, Drill];

    /// <summary>The jobs that act on one source: with 'sources:', each source has its own ("backup.NAME").</summary>
    public static IReadOnlyList<string> PerSource { get; } = [Backup, Drill];

    /// <summary>The job of one source: "backup.app".</summary>
    public static string ForSource(string job, string source) => $"{job}.{source}";

    /// <summary>Splits "backup.app" into its job and source; false for a job of the whole configuration.</summary>
    public static bool TrySplit(string name, out string job, out string source)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        job = dot < 0 ? name : name[..dot];
        source = dot < 0 ? "" : name[(dot + 1)..];
        return dot > 0 && PerSource.Contains(job) && source.Length > 0;
    }
}
