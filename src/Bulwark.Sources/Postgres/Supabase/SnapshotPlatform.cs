using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// The supabase.json stream of a snapshot taken with the supabase profile: the platform lists the backup used and the
/// relations it left out because the project's role cannot read them. Restore and drills read it back, so that they
/// treat a snapshot as its backup did, whatever the configuration says today.
/// </summary>
public static class SnapshotPlatform
{
    public const string StreamName = "supabase.json";
    public const string StreamKind = "supabase-platform";

    /// <summary>The value of <see cref="SourceInfo.Profile"/> for a snapshot taken with the supabase profile.</summary>
    public const string ProfileName = "supabase";

    /// <summary>The stream is a few kilobytes; anything far larger is not one Bulwark wrote.</summary>
    private const long MaxSize = 16 << 20;

    /// <summary>True when the snapshot was taken with the supabase profile.</summary>
    public static bool IsSupabase(SnapshotManifest manifest) =>
        string.Equals(manifest.Source.Profile, ProfileName, StringComparison.Ordinal) || manifest.FindStream(StreamName) is not null;

    /// <summary>
    /// The platform lists and the excluded relations of a supabase-profile snapshot; null for a plain one. A supabase
    /// snapshot without the stream gets <see cref="SupabasePlatform.Default"/> and no exclusions.
    /// </summary>
    public static async Task<(SupabasePlatform Platform, IReadOnlyList<string> ExcludedRelations)?> ReadAsync(
        BackupRepository repository, Snapshot snapshot, CancellationToken cancellationToken)
    {
        if (!IsSupabase(snapshot.Manifest))
            return null;
        if (snapshot.Manifest.FindStream(StreamName) is not { } entry)
            return (SupabasePlatform.Default, []);
        var document = await ReadDocumentAsync(repository, snapshot, entry, cancellationToken).ConfigureAwait(false);
        return (document.Platform, document.ExcludedRelations);
    }

    internal static async Task<SupabasePlatformDocument> ReadDocumentAsync(BackupRepository repository, Snapshot snapshot,
        StreamEntry entry, CancellationToken cancellationToken)
    {
        var what = $"snapshot {snapshot.ShortId}: {StreamName}";
        if (entry.Size > MaxSize)
            throw new BulwarkException(ErrorKind.Integrity, $"{what} is {entry.Size} bytes, far more than Bulwark writes",
                "the snapshot is damaged or was not written by Bulwark; run 'bulwark verify'");
        using var buffer = new MemoryStream((int)entry.Size);
        await repository.CopyStreamAsync(entry, buffer, cancellationToken: cancellationToken).ConfigureAwait(false);
        var document = RepositoryJson.Deserialize<SupabasePlatformDocument>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), what, SourcesJson.Options);
        // A list missing from the document (or null) means the default one.
        var platform = document.Platform;
        var defaults = SupabasePlatform.Default;
        return document with
        {
            Platform = platform with
            {
                Schemas = platform.Schemas ?? defaults.Schemas,
                ReservedRoles = platform.ReservedRoles ?? defaults.ReservedRoles,
                ReservedRolePrefixes = platform.ReservedRolePrefixes ?? defaults.ReservedRolePrefixes,
                BookkeepingTables = platform.BookkeepingTables ?? defaults.BookkeepingTables,
            },
            ExcludedRelations = document.ExcludedRelations ?? [],
            ExcludedTableData = document.ExcludedTableData ?? [],
        };
    }

    internal static byte[] Serialize(SupabasePlatformDocument document) => RepositoryJson.Serialize(document, SourcesJson.Options);
}
