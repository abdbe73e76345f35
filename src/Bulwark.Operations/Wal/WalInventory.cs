using Bulwark.Operations.Catalog;
using Bulwark.Repository;
using Bulwark.Repository.Wal;

namespace Bulwark.Operations.Wal;

/// <summary>
/// The WAL archive as one listing sees it, with the timeline histories read: which segments a recovery from a given
/// start needs to reach the newest archived segment, which of them are missing, and which archived files no kept
/// start needs. Segment numbers need the server's segment size; it is read from the archive (one segment's length).
/// </summary>
public sealed class WalInventory
{
    private readonly Dictionary<string, ArchivedWalFile> _byName;
    private readonly Dictionary<uint, WalTimelineHistory> _histories;

    private WalInventory(IReadOnlyList<ArchivedWalFile> files, Dictionary<uint, WalTimelineHistory> histories, long segmentSize)
    {
        Files = files;
        _byName = files.ToDictionary(f => f.File.Name, StringComparer.Ordinal);
        _histories = histories;
        SegmentSize = segmentSize;
        Segments = files.Where(f => f.File.Kind == WalFileKind.Segment).OrderBy(f => f.File.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every archived file.</summary>
    public IReadOnlyList<ArchivedWalFile> Files { get; }

    /// <summary>The archived segments (no .partial, .history, .backup), by name.</summary>
    public IReadOnlyList<ArchivedWalFile> Segments { get; }

    /// <summary>wal_segment_size in bytes (16 MiB when the archive holds no segment).</summary>
    public long SegmentSize { get; }

    public bool IsEmpty => Files.Count == 0;

    /// <summary>The segment archived last (by time).</summary>
    public ArchivedWalFile? NewestSegment => Segments.Count == 0 ? null : Segments.MaxBy(s => s.Archived);

    /// <summary>The newest timeline that holds segments or a history file.</summary>
    public uint NewestTimeline => Files.Count == 0 ? 1 : Files.Max(f => f.File.Timeline);

    public static async Task<WalInventory> LoadAsync(BackupRepository repository, CancellationToken cancellationToken)
    {
        var wal = repository.Wal;
        var files = new List<ArchivedWalFile>();
        await foreach (var file in wal.ListAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
            files.Add(file);
        var histories = new Dictionary<uint, WalTimelineHistory>();
        foreach (var history in files.Where(f => f.File.Kind == WalFileKind.History))
        {
            if (await wal.GetAsync(history.File, cancellationToken).ConfigureAwait(false) is { } content)
                histories[history.File.Timeline] = WalTimelineHistory.Parse(history.File.Timeline, content.Span);
        }
        long segmentSize = 16 << 20;
        // The smallest stored segment is the cheapest to read; any segment's length is the server's segment size.
        var segments = files.Where(f => f.File.Kind == WalFileKind.Segment).ToList();
        if (segments.Count > 0 &&
            await wal.GetAsync(segments.MinBy(f => f.StoredSize).File, cancellationToken).ConfigureAwait(false) is { } segment &&
            IsSegmentSize(segment.Length))
            segmentSize = segment.Length;
        return new WalInventory(files, histories, segmentSize);
    }

    private static bool IsSegmentSize(long size) => size >= 1 << 20 && size <= 1 << 30 && (size & (size - 1)) == 0;

    /// <summary>Where the WAL of a physical snapshot begins; null for a logical one or one whose LSN does not parse.</summary>
    public static WalStart? StartOf(SnapshotSummary snapshot) =>
        snapshot.IsPhysical && snapshot.Timeline is { } timeline && WalTimelineHistory.TryParseLsn(snapshot.StartLsn, out var lsn)
            ? new WalStart((uint)timeline, lsn)
            : null;

    /// <summary>Where the WAL of a base backup begins; null when its LSN does not parse.</summary>
    public static WalStart? StartOf(Bulwark.Repository.Snapshots.PhysicalBackupInfo physical) =>
        WalTimelineHistory.TryParseLsn(physical.StartLsn, out var lsn) ? new WalStart((uint)physical.Timeline, lsn) : null;

    /// <summary>
    /// The segments a recovery starting at <paramref name="start"/> replays to reach the newest archived segment, on the
    /// newest timeline whose history holds the start (each segment on the timeline that holds it, following the
    /// history files), oldest first. Empty when nothing after the start is archived.
    /// </summary>
    public IReadOnlyList<WalFileName> Needed(WalStart start)
    {
        var line = LineThrough(start);
        var first = start.Lsn / (ulong)SegmentSize;
        ulong? last = null;
        foreach (var segment in Segments)
        {
            if (line.Any(l => l.Timeline == segment.File.Timeline))
            {
                var number = segment.File.SegmentNumber(SegmentSize);
                if (number >= first && (last is null || number > last))
                    last = number;
            }
        }
        var needed = new List<WalFileName>();
        if (last is null)
            return [WalFileName.ForSegmentNumber(start.Timeline, first, SegmentSize)];
        for (var number = first; number <= last; number++)
        {
            // The segment holding a switch point is read from the newer timeline, as recovery does.
            var timeline = line.Last(l => l.Begin / (ulong)SegmentSize <= number || l == line[0]).Timeline;
            needed.Add(WalFileName.ForSegmentNumber(timeline, number, SegmentSize));
        }
        return needed;
    }

    /// <summary>The timeline line (oldest first, each with its first LSN) a recovery from <paramref name="start"/> follows:
    /// the newest timeline whose history passes through the start's timeline at or before the start.</summary>
    private IReadOnlyList<(uint Timeline, ulong Begin)> LineThrough(WalStart start)
    {
        foreach (var history in _histories.Values.OrderByDescending(h => h.Timeline))
        {
            var line = history.Line();
            for (var i = 0; i < line.Count; i++)
            {
                var end = i + 1 < line.Count ? line[i + 1].Begin : ulong.MaxValue;
                if (line[i].Timeline == start.Timeline && start.Lsn < end)
                    return line.Skip(i).Select((l, j) => j == 0 ? (l.Timeline, start.Lsn) : l).ToList();
            }
        }
        return [(start.Timeline, start.Lsn)];
    }

    /// <summary>The segments from <paramref name="start"/> to the newest that are not archived, as ranges.</summary>
    public IReadOnlyList<WalGap> Gaps(WalStart start)
    {
        var gaps = new List<WalGap>();
        WalFileName? first = null, previous = null;
        long count = 0;
        var needed = Needed(start).ToList();
        // The last needed segment may be the one being written now: only a hole before an archived one is a gap.
        var lastArchived = needed.FindLastIndex(n => _byName.ContainsKey(n.Name));
        for (var i = 0; i <= lastArchived; i++)
        {
            var name = needed[i];
            if (_byName.ContainsKey(name.Name))
            {
                if (first is { } f)
                    gaps.Add(new WalGap(f.Name, previous!.Value.Name, count));
                first = null;
                count = 0;
                continue;
            }
            first ??= name;
            previous = name;
            count++;
        }
        return gaps;
    }

    /// <summary>
    /// Where checking continuity starts when there is no base backup: the oldest archived segment of the oldest
    /// timeline in the newest timeline's line.
    /// </summary>
    public WalStart? OldestStart()
    {
        if (Segments.Count == 0)
            return null;
        var oldest = Segments.MinBy(s => (s.File.Timeline, s.File.SegmentNumber(SegmentSize)))!.File;
        return new WalStart(oldest.Timeline, oldest.StartLsn(SegmentSize));
    }

    /// <summary>
    /// Archived files no recovery from any of <paramref name="starts"/> needs: files of a start's timeline, or of a
    /// timeline descending from it, before the start's segment; and files of timelines that descend from no start.
    /// Kept on purpose: history files (small, and a later timeline's recovery reads them), every file from a start on
    /// of a branch that left its line (it may be a branch someone means to recover), and the files of a timeline
    /// whose history is not archived but whose number is higher than a start's (it may descend from it).
    /// </summary>
    public IReadOnlyList<ArchivedWalFile> NotNeeded(IReadOnlyCollection<WalStart> starts)
    {
        if (starts.Count == 0)
            return [];
        var removable = new List<ArchivedWalFile>();
        foreach (var file in Files)
        {
            if (file.File.Kind == WalFileKind.History)
                continue;
            var number = file.File.SegmentNumber(SegmentSize);
            if (!starts.Any(s => DescendsFrom(file.File.Timeline, s.Timeline) && number >= s.Lsn / (ulong)SegmentSize))
                removable.Add(file);
        }
        return removable;
    }

    private bool DescendsFrom(uint timeline, uint ancestor) =>
        timeline == ancestor ||
        (_histories.TryGetValue(timeline, out var history) ? history.Ancestors.Any(a => a.Timeline == ancestor) : timeline > ancestor);

    private static readonly TimeSpan StoreTimePrecision = TimeSpan.FromSeconds(1);

    /// <summary>The PITR window over <paramref name="snapshots"/>; null without a base backup, or without WAL after one.</summary>
    public PitrWindow? Window(IReadOnlyList<SnapshotSummary> snapshots)
    {
        if (NewestSegment is not { } newest)
            return null;
        foreach (var snapshot in snapshots.Where(s => s.IsPhysical && s.StopTime is not null).OrderBy(s => s.Time))
        {
            // Object stores keep times to the whole second (S3): a segment archived in the second the backup stopped
            // may carry an earlier time than the stop.
            var stop = snapshot.StopTime!.Value;
            if (StartOf(snapshot) is not { } start || newest.Archived < stop - StoreTimePrecision || Gaps(start).Count > 0)
                continue;
            return new PitrWindow(stop, newest.Archived > stop ? newest.Archived : stop, snapshot.ShortId, newest.File.Name);
        }
        return null;
    }
}
