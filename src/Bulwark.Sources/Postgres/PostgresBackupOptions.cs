using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Supabase;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>What to dump and what to compute in passing.</summary>
public sealed record PostgresBackupOptions
{
    /// <summary>
    /// Also dump roles and tablespaces (pg_dumpall --globals-only); null lets the profile decide (plain: no; supabase:
    /// yes, the team's roles only).
    /// </summary>
    public bool? Globals { get; init; }
    /// <summary>How the database is backed up; <see cref="PostgresProfile.Auto"/> decides from the host and the database.</summary>
    public PostgresProfile Profile { get; init; } = PostgresProfile.Auto;
    /// <summary>What belongs to the platform, for the supabase profile.</summary>
    public SupabasePlatform Platform { get; init; } = SupabasePlatform.Default;
    /// <summary>Dump only these schemas (pg_dump --schema).</summary>
    public IReadOnlyList<string> Schemas { get; init; } = [];
    public IReadOnlyList<string> ExcludeSchemas { get; init; } = [];
    /// <summary>Tables whose definition is dumped but not their rows (pg_dump --exclude-table-data).</summary>
    public IReadOnlyList<string> ExcludeTableData { get; init; } = [];
    /// <summary>Folder of the PostgreSQL programs; null to search.</summary>
    public string? BinDirectory { get; init; }
    /// <summary>Observers of the dump stream, created per backup.</summary>
    public Func<IReadOnlyList<IStreamObserver>>? DumpObservers { get; init; }
    /// <summary>
    /// Sessions that read tables' rows at once (backup --jobs); above 1 every ordinary table's rows are a stream of
    /// their own beside an archive of the rest (see <see cref="Parallel.ParallelSnapshot"/>).
    /// </summary>
    public int Jobs { get; init; } = 1;
    /// <summary>Observers of one table's rows (COPY text) in a parallel backup, created per table: (schema, table).</summary>
    public Func<string, string, IReadOnlyList<IStreamObserver>>? TableObservers { get; init; }
    /// <summary>
    /// Runs inside the exported snapshot before pg_dump starts, on the connection that holds it: whatever it reads
    /// sees exactly the data pg_dump dumps.
    /// </summary>
    public Func<NpgsqlConnection, CancellationToken, Task>? InsideSnapshot { get; init; }
}
