namespace Bulwark.Operations.Drills;

/// <summary>Which snapshot to drill and where; unset values come from the configuration ('drill:').</summary>
public sealed record DrillRequest
{
    /// <summary>"latest", an id prefix or a full id.</summary>
    public string Snapshot { get; init; } = "latest";
    /// <summary>The server to restore into (its database name is not used); null for 'drill.scratch', else the source server.</summary>
    public string? Scratch { get; init; }
    /// <summary>Keep the scratch database afterwards (to inspect it).</summary>
    public bool Keep { get; init; }
    /// <summary>Parallel restore jobs; null for 'drill.jobs'.</summary>
    public int? Jobs { get; init; }
    /// <summary>Restore without owners (when the scratch server lacks the roles); owners are then not compared.</summary>
    public bool NoOwner { get; init; }
    /// <summary>Restore without privileges; privileges are then not compared.</summary>
    public bool NoPrivileges { get; init; }
    /// <summary>For a base backup: recover to this time instead of the end of the archive.</summary>
    public DateTimeOffset? ToTime { get; init; }
    /// <summary>For a base backup: the restore_command instead of this program's 'wal fetch' (an archive of another kind).</summary>
    public string? RestoreCommand { get; init; }
}
