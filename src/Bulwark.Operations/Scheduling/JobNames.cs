namespace Bulwark.Operations.Scheduling;

/// <summary>The jobs a schedule can run; each is the command of the same meaning.</summary>
public static class JobNames
{
    public const string Backup = "backup";
    public const string Check = "check";
    public const string Cleanup = "cleanup";

    public static IReadOnlyList<string> All { get; } = [Backup, Check, Cleanup];
}
