using Bulwark.Repository.Locking;
using Bulwark.Repository;
using Bulwark.Repository.Format;
using Bulwark.Repository.Snapshots;
using Bulwark.Storage;
using Bulwark.Storage.Local;
using Bulwark.Storage.S3;

namespace Bulwark.Crash;

/// <summary>Where the repositories of a trial live: a local folder, or the S3 server the tests use.</summary>
public enum BackendKind
{
    Local,
    S3,
}

/// <summary>
/// The S3-compatible server (s3rver) a run uses: its endpoint, key pair and bucket, and the folder where it keeps its
/// objects (null when the harness may not touch it).
/// </summary>
public sealed record S3Target(string Endpoint, string Bucket, string AccessKey, string SecretKey, string? DataDirectory = null)
{
    /// <summary>What bulwark needs in its environment to reach this server for s3:// locations.</summary>
    public IReadOnlyDictionary<string, string?> Environment => new Dictionary<string, string?>(StringComparer.Ordinal)
    {
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_EC2_METADATA_DISABLED"] = "true",
        ["BULWARK_STORAGE_S3_ENDPOINT"] = Endpoint,
    };
}

/// <summary>
/// One repository location, and the read-only looks the harness takes at it between runs (in-process, through the
/// same library bulwark uses): its snapshots, chunks, and what a crash may have left behind.
/// </summary>
public sealed class RepositoryTarget
{
    private readonly S3Target? _s3;

    private RepositoryTarget(string location, string? localPath, S3Target? s3)
    {
        Location = location;
        LocalPath = localPath;
        _s3 = s3;
    }

    public string Location { get; }

    /// <summary>The folder of a local repository; null on S3.</summary>
    public string? LocalPath { get; }

    public static RepositoryTarget Local(string path) => new(path, path, null);

    public static RepositoryTarget S3(S3Target s3, string prefix) => new($"s3://{s3.Bucket}/{prefix}", null, s3);

    private IStorageBackend OpenBackend() => LocalPath is not null
        ? new LocalBackend(LocalPath)
        : new S3BackendProvider(new S3Options { Endpoint = _s3!.Endpoint }, name => _s3.Environment.GetValueOrDefault(name)).Open(Location);

    public async Task<BackupRepository> OpenAsync(CancellationToken cancellationToken) =>
        await BackupRepository.OpenAsync(OpenBackend(), new RepositoryOpenOptions(), cancellationToken).ConfigureAwait(false);

    /// <summary>Every committed snapshot, oldest first.</summary>
    public async Task<IReadOnlyList<Snapshot>> SnapshotsAsync(CancellationToken cancellationToken)
    {
        await using var repository = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Temporary files a killed writer left in a local repository (none on S3: a put is one request).</summary>
    public IReadOnlyList<string> TemporaryFiles() => LocalPath is null || !Directory.Exists(LocalPath)
        ? []
        : Directory.EnumerateFiles(LocalPath, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".tmp", StringComparison.Ordinal) || f.EndsWith(AtomicFile.TemporarySuffix, StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(LocalPath, f))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>
    /// Makes the temporary files of a local repository two hours old, as they are when the next scheduled cleanup
    /// comes: cleanup removes only those older than an hour (a younger one may belong to a writer still at work).
    /// </summary>
    public int AgeTemporaryFiles()
    {
        var files = TemporaryFiles();
        foreach (var file in files)
            File.SetLastWriteTimeUtc(Path.Combine(LocalPath!, file), DateTime.UtcNow.AddHours(-2));
        return files.Count;
    }

    /// <summary>
    /// Makes the lock objects (locks/) that do not read an hour old, as a run an hour later finds
    /// them, and returns how many. A killed process leaves one on s3rver, which keeps what a put cut off midway wrote
    /// (S3 shows a put whole or not at all); a lock that does not read is held until nothing wrote it for a while (it
    /// may be a put still under way). On S3 this needs <see cref="S3Target.DataDirectory"/>.
    /// </summary>
    public async Task<int> AgeUnreadableLocksAsync(CancellationToken cancellationToken)
    {
        var aged = 0;
        await using var repository = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var obj in repository.ListObjectsAsync(RepositoryLayout.LocksFolder, cancellationToken).ConfigureAwait(false))
        {
            try
            {
                if (await repository.ReadObjectAsync(obj.Name, ObjectLimits.SmallObject, cancellationToken).ConfigureAwait(false)
                    is not { } content)
                    continue;
                RepositoryJson.Deserialize<LockInfo>(content, obj.Name);
                continue;
            }
            catch (BulwarkException e) when (e.Kind == ErrorKind.Integrity)
            {
            }
            var path = LocalPath is not null
                ? Path.Combine(LocalPath, obj.Name)
                : _s3!.DataDirectory is { } data
                    ? Path.Combine(data, Location["s3://".Length..], obj.Name + "._S3rver_object") // s3rver's file of the object
                    : null;
            if (path is null || !File.Exists(path))
                continue;
            File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddHours(-1));
            aged++;
        }
        return aged;
    }

    /// <summary>
    /// What a cleanup that started at <paramref name="cleanupStart"/> should not have left: temporary files, lock
    /// objects (ruleset changes' too), forgotten/ records, and chunks that no snapshot references and that were older
    /// than the cleanup's margins. Also decodes every object written since <paramref name="since"/> outside chunks/ and
    /// snapshots/ (which verify reads). Returns one line per problem.
    /// </summary>
    public async Task<IReadOnlyList<string>> LeftoversAsync(DateTimeOffset since, DateTimeOffset cleanupStart,
        CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var file in TemporaryFiles())
            problems.Add($"temporary file {file} is still in the repository after the cleanup");
        await using var repository = await OpenAsync(cancellationToken).ConfigureAwait(false);
        foreach (var status in await RepositoryLock.ListAsync(repository, cancellationToken).ConfigureAwait(false))
            problems.Add($"lock {status.Info.Id} is still there after the retry and a cleanup: {status.Info.Describe()}" +
                         $" (stale: {status.Stale}, process gone: {status.ProcessGone})");
        await foreach (var obj in repository.ListObjectsAsync(RepositoryLayout.ForgottenFolder, cancellationToken).ConfigureAwait(false))
            problems.Add($"{obj.Name} is still there after the retry and a cleanup");
        var referenced = BackupRepository.ReferencedChunks(await repository.ListSnapshotsAsync(cancellationToken).ConfigureAwait(false));
        // Cleanup spares chunks younger than the clock-skew margin (1 s here) before its start; 3 s leaves room.
        var limit = cleanupStart - TimeSpan.FromSeconds(3);
        var unreferenced = 0;
        string? example = null;
        await foreach (var (id, info) in repository.ListChunksAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!referenced.Contains(id) && info.LastModified < limit)
            {
                unreferenced++;
                example ??= info.Name;
            }
        }
        if (unreferenced > 0)
            problems.Add($"{unreferenced} chunk(s) that no snapshot references survived a cleanup with no grace period (e.g. {example})");
        await foreach (var obj in repository.ListObjectsAsync(RepositoryLayout.EventsFolder, cancellationToken).ConfigureAwait(false))
        {
            if (obj.LastModified < since.AddSeconds(-2))
                continue;
            try
            {
                if (await repository.ReadObjectAsync(obj.Name, Bulwark.Versioning.Rulesets.RulesetRegistry.MaxEventSize,
                        cancellationToken).ConfigureAwait(false) is null)
                    problems.Add($"{obj.Name} was listed but is gone (events are never removed)");
            }
            catch (BulwarkException e)
            {
                problems.Add($"{obj.Name} does not decode: {e.Message}");
            }
        }
        return problems;
    }
}
