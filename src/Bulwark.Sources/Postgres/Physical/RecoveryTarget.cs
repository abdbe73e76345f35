using System.Globalization;

namespace Bulwark.Sources.Postgres.Physical;

/// <summary>Where recovery of a base backup stops: the end of the archive, a time, a WAL position, or a named restore point.</summary>
public sealed record RecoveryTarget
{
    private RecoveryTarget(RecoveryTargetKind kind, string? value, DateTimeOffset? time)
    {
        Kind = kind;
        Value = value;
        Time = time;
    }

    public RecoveryTargetKind Kind { get; }
    /// <summary>The LSN or restore point name; the time in PostgreSQL's form for a time.</summary>
    public string? Value { get; }
    public DateTimeOffset? Time { get; }

    public static RecoveryTarget End { get; } = new(RecoveryTargetKind.End, null, null);

    public static RecoveryTarget AtTime(DateTimeOffset time) =>
        new(RecoveryTargetKind.Time, time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss.ffffff'+00'", CultureInfo.InvariantCulture), time);

    public static RecoveryTarget AtLsn(Lsn lsn) => new(RecoveryTargetKind.Lsn, lsn.ToString(), null);

    public static RecoveryTarget AtName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length >= 64)
            throw new BulwarkException(ErrorKind.Usage, $"'{name}' is not a restore point name",
                "give the name passed to pg_create_restore_point() (at most 63 bytes)");
        return new RecoveryTarget(RecoveryTargetKind.Name, name, null);
    }

    /// <summary>"the end of the archive", "2026-12-05 03:44:30.000000+00", "LSN 0/3000000", "restore point 'before'".</summary>
    public override string ToString() => Kind switch
    {
        RecoveryTargetKind.Time => Value!,
        RecoveryTargetKind.Lsn => $"LSN {Value}",
        RecoveryTargetKind.Name => $"restore point '{Value}'",
        _ => "the end of the archive",
    };

    /// <summary>The postgresql.conf lines that set this target (none for the end of the archive).</summary>
    public IEnumerable<string> ConfigLines()
    {
        var setting = Kind switch
        {
            RecoveryTargetKind.Time => "recovery_target_time",
            RecoveryTargetKind.Lsn => "recovery_target_lsn",
            RecoveryTargetKind.Name => "recovery_target_name",
            _ => null,
        };
        if (setting is null)
            yield break;
        yield return $"{setting} = {RecoveryConfig.Quote(Value!)}";
        yield return "recovery_target_action = 'promote'";
    }
}

public enum RecoveryTargetKind
{
    End,
    Time,
    Lsn,
    Name,
}
