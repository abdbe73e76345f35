namespace Bulwark.Sources.Postgres;

/// <summary>How to restore a database dump.</summary>
public sealed record PostgresRestoreOptions
{
    /// <summary>Create the target database (it must not exist).</summary>
    public bool Create { get; init; }
    /// <summary>Drop objects before recreating them, which allows a non-empty target.</summary>
    public bool Clean { get; init; }
    public IReadOnlyList<string> Schemas { get; init; } = [];
    public IReadOnlyList<string> Tables { get; init; } = [];
    /// <summary>Parallel pg_restore jobs; above 1 the dump is spooled to a temporary file first.</summary>
    public int Jobs { get; init; } = 1;
    /// <summary>Do not restore ownership (pg_restore --no-owner).</summary>
    public bool NoOwner { get; init; }
    /// <summary>Do not restore privileges (pg_restore --no-acl).</summary>
    public bool NoPrivileges { get; init; }
    /// <summary>Apply the snapshot's roles (globals.sql) to the target server first; existing roles are kept.</summary>
    public bool Globals { get; init; }
    /// <summary>Gather planner statistics (ANALYZE) for what was restored, after the restore committed.</summary>
    public bool Analyze { get; init; }
    public string? BinDirectory { get; init; }
    /// <summary>
    /// Settings of pg_restore's sessions. By default index builds get more memory than the server's default
    /// (64 MB makes them sort on disk) and commits do not wait for the WAL flush: a restore cut short by a crash is
    /// redone anyway, so neither costs safety. Both are user-level settings, allowed to any role.
    /// </summary>
    public IReadOnlyDictionary<string, string> SessionSettings { get; init; } = DefaultSessionSettings;

    public static IReadOnlyDictionary<string, string> DefaultSessionSettings { get; } = new Dictionary<string, string>
    {
        ["maintenance_work_mem"] = "256MB",
        ["synchronous_commit"] = "off",
    };

    /// <summary>
    /// Restore as a Supabase project (the team's part only, into a project that has the platform's): the platform's
    /// lists the backup used. Null for a plain restore.
    /// </summary>
    public Supabase.SupabasePlatform? Supabase { get; init; }

    /// <summary>Runs on the target once it exists (created or not), before anything is restored (drills prepare it here).</summary>
    public Func<PgConnectionSettings, CancellationToken, Task>? BeforeRestore { get; init; }

    /// <summary>
    /// In a parallel restore, a table with at least this many bytes of rows gets its indexes and constraints built as soon
    /// as its rows are in; the items of smaller tables wait for the final pass.
    /// </summary>
    internal long EarlyBuildMinimumBytes { get; init; } = Parallel.ParallelTableRestore.EarlyBuildMinimumBytes;

    /// <summary>Where a spool file for parallel restore goes; the system temporary folder when null.</summary>
    public string? SpoolDirectory { get; init; }

    /// <summary>pg_restore's arguments for <see cref="Clean"/>, <see cref="NoOwner"/> and <see cref="NoPrivileges"/>.</summary>
    internal IEnumerable<string> CleanOwnerAclArguments()
    {
        if (Clean)
        {
            yield return "--clean";
            yield return "--if-exists";
        }
        if (NoOwner)
            yield return "--no-owner";
        if (NoPrivileges)
            yield return "--no-acl";
    }
}
