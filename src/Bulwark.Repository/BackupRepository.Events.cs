using Bulwark.Repository.Format;
using Bulwark.Storage;

namespace Bulwark.Repository;

// Events: immutable records named by time and content, so that a listing gives their order without reading them.
public sealed partial class BackupRepository
{
    /// <summary>
    /// Stores an immutable record under events/KIND/, named by time and content so that listing gives the order
    /// without reading. Returns the object name. A record larger than <paramref name="maxSize"/>, which readers would
    /// refuse, is not written.
    /// </summary>
    /// <param name="json">Options whose resolver knows <typeparamref name="T"/> (default: the repository's own).</param>
    public async Task<string> AppendEventAsync<T>(string kind, T record, CancellationToken cancellationToken,
        int maxSize = ObjectLimits.SmallObject, System.Text.Json.JsonSerializerOptions? json = null)
    {
        ObjectNames.Validate(kind);
        var bytes = RepositoryJson.Serialize(record, json);
        if (bytes.Length > maxSize)
            throw new BulwarkException(ErrorKind.Failed,
                $"the {kind} event would be {bytes.Length} bytes, more than the {ObjectLimits.Describe(maxSize)} an event may have",
                "nothing was written; report this as a bug");
        var name = RepositoryLayout.EventName(kind, Time.GetUtcNow(), Codec.ComputeId(bytes));
        await Backend.PutAsync(name, Codec.Pack(bytes), cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>
    /// Names of every event of a kind (and of the kinds below it, e.g. rulesets/NAME/versions below rulesets), in the
    /// order of their names: for one kind, oldest first.
    /// </summary>
    public async Task<IReadOnlyList<string>> ListEventNamesAsync(string kind, CancellationToken cancellationToken)
    {
        ObjectNames.Validate(kind);
        var names = new List<string>();
        await foreach (var info in Backend.ListAsync(RepositoryLayout.EventFolder(kind), cancellationToken).ConfigureAwait(false))
            names.Add(info.Name);
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>
    /// One event by its name (from <see cref="ListEventNamesAsync"/>), checked against the id in its name; null when it
    /// no longer exists. One that does not read, or is larger than <paramref name="maxSize"/>, is an integrity error
    /// naming it.
    /// </summary>
    public async Task<T?> ReadEventAsync<T>(string name, CancellationToken cancellationToken,
        int maxSize = ObjectLimits.SmallObject, System.Text.Json.JsonSerializerOptions? json = null) where T : class
    {
        if (!name.StartsWith(RepositoryLayout.EventsFolder, StringComparison.Ordinal))
            throw new ArgumentException($"'{name}' is not the name of an event", nameof(name));
        try
        {
            return await DecodeEventAsync<T>(name, maxSize, cancellationToken, json).ConfigureAwait(false);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }
    }

    private async Task<T> DecodeEventAsync<T>(string name, int maxSize, CancellationToken cancellationToken,
        System.Text.Json.JsonSerializerOptions? options = null)
    {
        var stored = await Backend.GetAsync(name, cancellationToken).ConfigureAwait(false);
        var json = RepositoryLayout.TryParseRecordId(name, out var id)
            ? Codec.Unpack(stored, id, name, maxSize)
            : Codec.Decode(stored, name, maxSize);
        return RepositoryJson.Deserialize<T>(json, $"event {name}", options);
    }

    /// <summary>
    /// Every event of a kind, oldest first. One larger than <paramref name="maxSize"/> (default
    /// <see cref="ObjectLimits.SmallObject"/>) is an integrity error naming it.
    /// </summary>
    /// <param name="skipUnreadable">Leave out an event that cannot be read, naming it through
    /// <see cref="RepositoryOpenOptions.Warning"/> (for what only shows events); otherwise it is an error.</param>
    public async Task<IReadOnlyList<T>> ReadEventsAsync<T>(string kind, CancellationToken cancellationToken,
        bool skipUnreadable = false, int maxSize = ObjectLimits.SmallObject, System.Text.Json.JsonSerializerOptions? json = null)
    {
        var names = await ListEventNamesAsync(kind, cancellationToken).ConfigureAwait(false);
        var events = new T[names.Count];
        var read = new bool[names.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, names.Count),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var name = names[i];
                try
                {
                    events[i] = await DecodeEventAsync<T>(name, maxSize, ct, json).ConfigureAwait(false);
                    read[i] = true;
                }
                catch (BulwarkException e) when (skipUnreadable && e.Kind == ErrorKind.Integrity)
                {
                    Options.Warning?.Invoke($"event {name} is left out: {e.Message}");
                }
            }).ConfigureAwait(false);
        return skipUnreadable ? events.Where((_, i) => read[i]).ToList() : events;
    }

    /// <summary>
    /// Copies every event under events/<paramref name="prefix"/> that <paramref name="destination"/> lacks. Names keep
    /// their time, so the order is kept; content is re-identified and re-sealed under the destination's key, after
    /// <paramref name="translate"/> when given (null from it: not copied). Returns how many were written. An event
    /// larger than <paramref name="maxSize"/> is an integrity error naming it.
    /// </summary>
    public async Task<int> CopyEventsToAsync(BackupRepository destination, string prefix, CancellationToken cancellationToken,
        Func<byte[], byte[]?>? translate = null, int maxSize = ObjectLimits.SmallObject)
    {
        var folder = RepositoryLayout.EventsFolder + prefix;
        var present = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var info in destination.Backend.ListAsync(folder, cancellationToken).ConfigureAwait(false))
            present.Add(info.Name);
        var written = 0;
        await foreach (var info in Backend.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            if (!RepositoryLayout.TryParseRecordId(info.Name, out var id))
                continue;
            var plaintext = Codec.Unpack(await Backend.GetAsync(info.Name, cancellationToken).ConfigureAwait(false), id, info.Name,
                maxSize);
            if (translate is not null)
            {
                if (translate(plaintext) is not { } translated)
                    continue;
                plaintext = translated;
            }
            var name = RepositoryLayout.WithRecordId(info.Name, destination.Codec.ComputeId(plaintext));
            if (present.Contains(name))
                continue;
            await destination.Backend.PutAsync(name, destination.Codec.Pack(plaintext), cancellationToken).ConfigureAwait(false);
            written++;
        }
        return written;
    }
}
