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
}
