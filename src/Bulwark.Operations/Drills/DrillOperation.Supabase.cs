using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Supabase;

namespace Bulwark.Operations.Drills;

/// <summary>
/// Drills of Supabase snapshots: the scratch is a plain server on which the platform is stood in for
/// (<see cref="SupabaseStandIns"/>), the restore is the one into a project (<see cref="SupabaseRestore"/>'s plan), and
/// what is compared is what that restore brings back.
/// </summary>
public sealed partial class DrillOperation
{
    /// <summary>What a drill of a Supabase snapshot proves and what it cannot; in every such report.</summary>
    internal const string SupabaseScope =
        "Supabase snapshot: proven are the team's schemas and data, the team's rows in the platform's tables (auth users " +
        "and identities, storage buckets and objects …) and the team's additions to platform objects (triggers, policies, " +
        "publication membership); not proven here: the platform itself (its services, its own objects, event triggers " +
        "and extensions this server lacks), which the target project provides";

    /// <summary>
    /// With no scratch server configured, a Supabase snapshot is drilled on a throwaway local server, never on the
    /// project it came from (a hosted project is production, and its role may not create databases).
    /// </summary>
    private async Task<LocalPostgresServer?> SupabaseScratchAsync(DrillRequest request, CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(request.Scratch ?? _context.Settings.Drill.Scratch))
            return null;
        if (LocalPostgresServer.FindServerBinDirectory() is not { } bin || !File.Exists(Path.Combine(bin, "initdb")))
            throw new BulwarkException(ErrorKind.Usage,
                "a drill of a Supabase snapshot needs a scratch server, and the PostgreSQL server programs (initdb, pg_ctl) to start a throwaway one are not installed",
                "set 'drill.scratch' (or --scratch) to a plain PostgreSQL server where a superuser may create databases, or install the server programs");
        return await LocalPostgresServer.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The snapshot's objects that the Supabase restore brought back: only those are compared.</summary>
    private static IReadOnlyList<SchemaObject> SupabaseExpectedObjects(IReadOnlyList<ArchiveTocEntry> entries, PostgresRestoreResult restored)
    {
        var ids = (restored.Supabase?.RestoredEntries ?? []).ToHashSet();
        return SchemaObject.FromEntries(entries.Where(e => ids.Contains(e.DumpId)));
    }

    /// <summary>
    /// The scratch database read back, less the stand-ins: objects the restore did not bring back (the platform's, as
    /// stood in), and sequences of platform schemas the backup has no value for.
    /// </summary>
    private static ArchiveSummary SupabaseActual(ArchiveSummary actual, IReadOnlyList<ArchiveTocEntry> entries,
        IReadOnlyList<SchemaObject> expectedObjects, DatabaseFingerprints expected, SupabasePlatform platform)
    {
        var restoredKeys = expectedObjects.Select(o => o.Key).ToHashSet();
        var standIns = SchemaObject.FromEntries(entries).Select(o => o.Key).Where(k => !restoredKeys.Contains(k)).ToHashSet();
        bool Compared(ArchiveTocEntry entry)
        {
            if (!SchemaObject.IsCompared(entry))
                return true;
            var key = SchemaObject.From(entry).Key;
            if (restoredKeys.Contains(key))
                return true;
            if (standIns.Contains(key) || platform.IsPlatformSchema(entry.Namespace))
                return false;
            // Schemas, their comments and grants, extensions and publications: the platform's when they name its schemas.
            var name = entry.Tag.StartsWith("SCHEMA ", StringComparison.Ordinal) ? entry.Tag[7..] : entry.Tag;
            return !(entry.Description is "SCHEMA" or "ACL" or "COMMENT" && platform.IsPlatformSchema(name));
        }
        var sequences = expected.Sequences.Select(s => (s.Schema, s.Name)).ToHashSet();
        return actual with
        {
            Entries = actual.Entries.Where(Compared).ToList(),
            Fingerprints = actual.Fingerprints with
            {
                Sequences = actual.Fingerprints.Sequences
                    .Where(s => sequences.Contains((s.Schema, s.Name)) || !platform.IsPlatformSchema(s.Schema)).ToList(),
            },
        };
    }
}
