using Bulwark.Sources.Postgres;

namespace Bulwark.Crash;

/// <summary>What a crash run does: which operations against which backends, how many trials, and where.</summary>
public sealed record CrashOptions
{
    /// <summary>Seeds every kill delay; printed with every failure so that a run can be repeated.</summary>
    public required int Seed { get; init; }

    /// <summary>A folder of its own for the run's repositories, configurations and restored files.</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>The PostgreSQL server the backups read (the run creates and drops its own databases there).</summary>
    public required LocalPostgresServer Postgres { get; init; }

    /// <summary>The S3 server for the s3 backend; null runs the local backend only.</summary>
    public S3Target? S3 { get; init; }

    /// <summary>The bulwark.dll to run (with dotnet).</summary>
    public required string ProgramPath { get; init; }

    /// <summary>Names from <see cref="CrashHarness.Operations"/>; default all.</summary>
    public IReadOnlyList<string> Operations { get; init; } = CrashHarness.Operations;

    public IReadOnlyList<BackendKind> Backends { get; init; } = [BackendKind.Local, BackendKind.S3];

    /// <summary>Trials per operation on the local backend; the first measures the duration, the others kill.</summary>
    public int LocalTrials { get; init; } = 10;

    /// <summary>Trials per operation on S3.</summary>
    public int S3Trials { get; init; } = 3;

    /// <summary>About how much data each backup dumps and each restore writes: bigger makes each run longer.</summary>
    public int DataMegabytes { get; init; } = 8;

    /// <summary>Progress, one line per trial.</summary>
    public TextWriter Log { get; init; } = TextWriter.Null;
}
