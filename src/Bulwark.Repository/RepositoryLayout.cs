using System.Globalization;

namespace Bulwark.Repository;

/// <summary>
/// Where each kind of object lives in a repository (format v1), and how its name is made and read back. The names
/// are part of the format: every repository written so far uses them, so they never change.
/// </summary>
public static class RepositoryLayout
{
    /// <summary>The repository's settings, written once by init.</summary>
    public const string ConfigName = "config";

    /// <summary>chunks/ab/abcdef…: one object per chunk, named by its id, in 256 folders by its first two digits.</summary>
    public const string ChunksFolder = "chunks/";

    /// <summary>snapshots/ID: one manifest per snapshot, named by the id of its content; its existence is the commit.</summary>
    public const string SnapshotsFolder = "snapshots/";

    /// <summary>events/KIND/TIME-ID: immutable records, in order of time when listed.</summary>
    public const string EventsFolder = "events/";

    /// <summary>locks/ID: one object per lock held.</summary>
    public const string LocksFolder = "locks/";

    /// <summary>keys/ID: the master key wrapped under one passphrase, when the repository is encrypted.</summary>
    public const string KeysFolder = "keys/";

    /// <summary>forgotten/TIME-ID: what one cleanup removed, kept while an operation that may have read it runs.</summary>
    public const string ForgottenFolder = "forgotten/";

    /// <summary>wal/TTTTTTTT/NAME: one object per archived WAL file (segment, .partial, .history, .backup), by timeline.</summary>
    public const string WalFolder = "wal/";

    /// <summary>Events a cleanup leaves before it sweeps, so that a backup can tell one ran beside it.</summary>
    public const string SweepEvents = "sweeps";

    /// <summary>Events that prove a snapshot: verifications that read its data, restore drills.</summary>
    public const string ProofEvents = "proofs";

    /// <summary>Events that record each cleanup's decision, before it removes anything.</summary>
    public const string CleanupEvents = "cleanup";

    /// <summary>Events of the ruleset registry (versions and activations, below rulesets/NAME/).</summary>
    public const string RulesetEvents = "rulesets";

    // Milliseconds since 1970, zero-padded so that names sort by time.
    private const string TimeFormat = "D15";

    /// <summary>The folders objects live in, each with its trailing '/'.</summary>
    public static IReadOnlyList<string> Folders { get; } =
        [ChunksFolder, SnapshotsFolder, EventsFolder, LocksFolder, KeysFolder, ForgottenFolder];

    /// <summary>Whether <paramref name="name"/> is one of <see cref="Folders"/> (without its '/') or lies below one.</summary>
    public static bool IsInLayout(string name) =>
        Folders.Any(f => name.StartsWith(f, StringComparison.Ordinal) || name.AsSpan().SequenceEqual(f.AsSpan(0, f.Length - 1)));

    /// <summary>The 256 folders chunks go to, created by init.</summary>
    public static IReadOnlyList<string> ChunkFolders() =>
        [.. Enumerable.Range(0, 256).Select(ChunkFolder)];

    /// <summary>The folder of the chunks whose id starts with the byte <paramref name="firstByte"/>: "chunks/ab/".</summary>
    public static string ChunkFolder(int firstByte) => $"{ChunksFolder}{firstByte:x2}/";

    public static string ChunkName(ObjectId id)
    {
        var hex = id.ToString();
        return string.Concat(ChunksFolder, hex.AsSpan(0, 2), "/", hex);
    }

    public static bool TryParseChunkName(string name, out ObjectId id)
    {
        id = default;
        return name.Length == ChunksFolder.Length + 3 + ObjectId.HexLength &&
               name.StartsWith(ChunksFolder, StringComparison.Ordinal) &&
               ObjectId.TryParse(name[^ObjectId.HexLength..], out id);
    }

    public static string SnapshotName(ObjectId id) => SnapshotsFolder + id;

    public static bool TryParseSnapshotName(string name, out ObjectId id)
    {
        id = default;
        return name.StartsWith(SnapshotsFolder, StringComparison.Ordinal) &&
               ObjectId.TryParse(name[SnapshotsFolder.Length..], out id);
    }

    /// <summary>wal/TTTTTTTT/: the WAL files of one timeline.</summary>
    public static string WalTimelineFolder(uint timeline) => $"{WalFolder}{timeline:X8}/";

    /// <summary>wal/TTTTTTTT/NAME, NAME being what PostgreSQL calls the file (%f).</summary>
    public static string WalName(Wal.WalFileName file) => WalTimelineFolder(file.Timeline) + file.Name;

    /// <summary>The WAL file an object name holds; false for any other name (a temporary file, another folder).</summary>
    public static bool TryParseWalName(string name, out Wal.WalFileName file)
    {
        file = default;
        var slash = name.LastIndexOf('/');
        return name.StartsWith(WalFolder, StringComparison.Ordinal) && slash > WalFolder.Length &&
               Wal.WalFileName.TryParse(name[(slash + 1)..], out file) && name == WalName(file);
    }

    public static string LockName(string id) => LocksFolder + id;

    public static string KeyName(string id) => KeysFolder + id;

    /// <summary>The folder of one kind of event (KIND may have several segments, e.g. rulesets/NAME/versions).</summary>
    public static string EventFolder(string kind) => $"{EventsFolder}{kind}/";

    /// <summary>events/KIND/TIME-ID: listing gives the order without reading.</summary>
    public static string EventName(string kind, DateTimeOffset time, ObjectId id) => RecordName(EventFolder(kind), time, id);

    /// <summary>forgotten/TIME-ID.</summary>
    public static string ForgottenName(DateTimeOffset time, ObjectId id) => RecordName(ForgottenFolder, time, id);

    /// <summary>The id in the name of an event or forgotten record (what follows TIME-).</summary>
    public static bool TryParseRecordId(string name, out ObjectId id)
    {
        id = default;
        var dash = RecordDash(name);
        return dash > 0 && ObjectId.TryParse(name[(dash + 1)..], out id);
    }

    /// <summary>The time in the name of an event or forgotten record (the digits before -ID).</summary>
    public static bool TryParseRecordTime(string name, out DateTimeOffset time)
    {
        time = default;
        var start = name.LastIndexOf('/') + 1;
        var dash = RecordDash(name);
        if (!long.TryParse(dash > 0 ? name.AsSpan(start, dash - start) : name.AsSpan(start), NumberStyles.None,
                CultureInfo.InvariantCulture, out var millis) ||
            millis > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            return false;
        time = DateTimeOffset.FromUnixTimeMilliseconds(millis);
        return true;
    }

    /// <summary>The same record name (folder and time) with another id: a copy re-identifies content under its own key.</summary>
    public static string WithRecordId(string name, ObjectId id)
    {
        var dash = RecordDash(name);
        if (dash <= 0)
            throw new ArgumentException($"'{name}' is not the name of an event or record", nameof(name));
        return $"{name[..dash]}-{id}";
    }

    private static string RecordName(string folder, DateTimeOffset time, ObjectId id) =>
        $"{folder}{time.ToUnixTimeMilliseconds().ToString(TimeFormat, CultureInfo.InvariantCulture)}-{id}";

    /// <summary>Where the first '-' of the last segment is, counted in the whole name; 0 or less when there is none
    /// after a non-empty time.</summary>
    private static int RecordDash(string name)
    {
        var start = name.LastIndexOf('/') + 1;
        var dash = name.IndexOf('-', start);
        return dash > start ? dash : -1;
    }
}
