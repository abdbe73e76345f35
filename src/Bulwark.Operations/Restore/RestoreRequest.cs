namespace Bulwark.Operations.Restore;

/// <summary>What to restore and where.</summary>
public sealed record RestoreRequest
{
    /// <summary>"latest", an id prefix or a full id.</summary>
    public required string Snapshot { get; init; }
    /// <summary>The target database URL (restore into a database).</summary>
    public string? Target { get; init; }
    /// <summary>Write the stream to this file instead (the original pg_restore-compatible dump by default).</summary>
    public string? ToFile { get; init; }
    /// <summary>Which stream --to-file writes; the database dump by default.</summary>
    public string? Stream { get; init; }
    /// <summary>Restore the snapshot's files (from 'files:') below this folder instead.</summary>
    public string? FilesTo { get; init; }
    /// <summary>With <see cref="FilesTo"/>: only these stored paths (or folders of them); empty for every file.</summary>
    public IReadOnlyList<string> Files { get; init; } = [];
    /// <summary>
    /// Also upload the snapshot's Supabase Storage objects to this Storage S3 endpoint (after the database, when
    /// <see cref="Target"/> is set; alone otherwise). "?region=" in the URL names the project's region.
    /// </summary>
    public string? StorageTo { get; init; }
    /// <summary>
    /// With <see cref="FilesTo"/>: replace existing files (each atomically) instead of refusing. With
    /// <see cref="StorageTo"/>: replace objects that exist with other content instead of refusing.
    /// </summary>
    public bool Overwrite { get; init; }
    public bool Create { get; init; }
    public bool Clean { get; init; }
    public IReadOnlyList<string> Schemas { get; init; } = [];
    public IReadOnlyList<string> Tables { get; init; } = [];
    public int Jobs { get; init; } = 1;
    public bool NoOwner { get; init; }
    public bool NoPrivileges { get; init; }
    public bool Globals { get; init; }
    /// <summary>Gather planner statistics (ANALYZE) for what was restored.</summary>
    public bool Analyze { get; init; } = true;
}
