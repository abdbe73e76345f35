using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>Reads whole archives, or only their table of contents, into an <see cref="ArchiveSummary"/>.</summary>
public static class ArchiveReading
{
    /// <summary>Reads <paramref name="source"/> to its end.</summary>
    public static Task<ArchiveSummary> ReadAsync(Stream source, CancellationToken cancellationToken) =>
        ReadAsync(source, null, cancellationToken);

    /// <summary>
    /// Reads <paramref name="source"/> to its end, hashing each table's rows in the column order
    /// <paramref name="columnsOf"/> gives for it (matched by column name, see <see cref="CopyColumns"/>).
    /// </summary>
    public static async Task<ArchiveSummary> ReadAsync(Stream source,
        IReadOnlyDictionary<(string Schema, string Name), IReadOnlyList<string>>? columnsOf, CancellationToken cancellationToken)
    {
        var builder = new FingerprintBuilder(columnsOf);
        var parser = new CustomArchiveParser(builder);
        var buffer = new byte[256 * 1024];
        while (true)
        {
            var read = await source.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
                break;
            parser.Feed(buffer.AsSpan(0, read));
        }
        parser.Complete();
        return builder.Summary();
    }

    /// <summary>
    /// The header and table of contents of a stored dump: reads its first chunks only, checking each against its id.
    /// </summary>
    public static async Task<(ArchiveHeader Header, IReadOnlyList<ArchiveTocEntry> Entries)> ReadTocAsync(
        BackupRepository repository, StreamEntry dump, CancellationToken cancellationToken)
    {
        var builder = new FingerprintBuilder();
        var parser = new CustomArchiveParser(builder);
        foreach (var chunk in dump.Chunks)
        {
            var data = await repository.ReadChunkAsync(chunk, cancellationToken).ConfigureAwait(false);
            var take = 0;
            // Feed in small pieces so that data after the table of contents is not hashed for nothing.
            while (take < data.Length && !parser.TocComplete)
            {
                var piece = Math.Min(64 * 1024, data.Length - take);
                parser.Feed(data.AsSpan(take, piece));
                take += piece;
            }
            if (parser.TocComplete)
                return (builder.Header!, builder.Entries);
        }
        parser.Complete();
        return (builder.Header!, builder.Entries);
    }
}
