using System.Globalization;
using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;

namespace Bulwark.Sources.Files;

/// <summary>
/// Files stored as streams of a snapshot: name "files/&lt;stored path&gt;", kind "file", attributes path, mode (octal)
/// and mtime (UTC, round-trip format). They go through the backup's uploader, so they deduplicate like dumps.
/// </summary>
public static class FileStreams
{
    public const string Prefix = "files/";
    public const string Kind = "file";
    public const string PathAttribute = "path";
    public const string ModeAttribute = "mode";
    public const string MtimeAttribute = "mtime";
    public const string SourceAttribute = "source";

    public static string StreamName(string storedPath) => Prefix + storedPath;

    /// <summary>The file streams of a snapshot.</summary>
    public static IReadOnlyList<StreamEntry> Of(SnapshotManifest manifest) =>
        manifest.Streams.Where(s => s.Kind == Kind && s.Name.StartsWith(Prefix, StringComparison.Ordinal)).ToList();

    /// <summary>The stored (relative) path of a file stream.</summary>
    public static string StoredPath(StreamEntry entry) =>
        entry.Attributes?.GetValueOrDefault(PathAttribute) ?? entry.Name[Prefix.Length..];

    /// <summary>Files stored at once: configuration files are small, so the cost is per file, not per byte.</summary>
    public const int Parallelism = 4;

    /// <summary>Stores every file; returns their manifest entries in the order given.</summary>
    public static async Task<IReadOnlyList<StreamEntry>> UploadAsync(StreamUploader uploader,
        IReadOnlyList<SelectedFile> files, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        var entries = new StreamEntry[files.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (i, ct) => entries[i] = await UploadAsync(uploader, files[i], progress, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return entries;
    }

    private static async Task<StreamEntry> UploadAsync(StreamUploader uploader, SelectedFile file, IProgress<long>? progress,
        CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"cannot read {file.FullPath}: {e.Message}",
                e is UnauthorizedAccessException ? "run the backup as a user who can read it" : "check that the file still exists");
        }
        await using (stream)
        {
            // Mode and time as of opening: what the restored file gets back.
            var attributes = new Dictionary<string, string>
            {
                [PathAttribute] = file.StoredPath,
                [MtimeAttribute] = File.GetLastWriteTimeUtc(file.FullPath).ToString("O", CultureInfo.InvariantCulture),
                [SourceAttribute] = file.FullPath,
            };
            if (!OperatingSystem.IsWindows())
                attributes[ModeAttribute] = Convert.ToString((int)File.GetUnixFileMode(stream.SafeFileHandle), 8).PadLeft(4, '0');
            return await uploader.UploadAsync(StreamName(file.StoredPath), Kind, stream, attributes: attributes,
                progress: progress, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The mode a file stream records, or null.</summary>
    public static UnixFileMode? Mode(StreamEntry entry) =>
        entry.Attributes?.GetValueOrDefault(ModeAttribute) is { } text && TryParseOctal(text, out var mode)
            ? (UnixFileMode)mode
            : null;

    /// <summary>The modification time a file stream records, or null.</summary>
    public static DateTime? Mtime(StreamEntry entry) =>
        entry.Attributes?.GetValueOrDefault(MtimeAttribute) is { } text &&
        DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var time)
            ? time.ToUniversalTime()
            : null;

    private static bool TryParseOctal(string text, out int value)
    {
        value = 0;
        if (text.Length == 0 || text.Length > 6)
            return false;
        foreach (var c in text)
        {
            if (c is < '0' or > '7')
                return false;
            value = value * 8 + (c - '0');
        }
        return true;
    }
}
