using Bulwark.Repository.Snapshots;
using Bulwark.Repository.Streams;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Fingerprints a pg_dump custom archive as it streams into the repository (on the uploader's observer task, so the
/// server sees no second scan). A dump it cannot read does not fail the backup: the reason is kept in
/// <see cref="DatabaseFingerprints.Error"/> and a drill of that snapshot says so.
/// </summary>
public sealed class FingerprintObserver : IStreamObserver
{
    private readonly FingerprintBuilder _builder = new();
    private readonly CustomArchiveParser _parser;
    private string? _error;

    public FingerprintObserver()
    {
        _parser = new CustomArchiveParser(_builder);
    }

    /// <summary>Set after <see cref="Complete"/>.</summary>
    public bool Completed { get; private set; }

    public void Observe(ReadOnlySpan<byte> data)
    {
        if (_error is not null)
            return;
        try
        {
            _parser.Feed(data);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A fingerprinting problem must never cost the backup itself.
            _error = e is ArchiveFormatException ? e.Message : $"{e.GetType().Name}: {e.Message}";
        }
    }

    public void Complete()
    {
        if (_error is null)
        {
            try
            {
                _parser.Complete();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _error = e is ArchiveFormatException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            }
        }
        Completed = true;
    }

    /// <summary>The fingerprints, or an error saying why there are none.</summary>
    public DatabaseFingerprints Result(IReadOnlyDictionary<string, string>? textSettings)
    {
        if (!Completed)
            return new DatabaseFingerprints { Error = "the dump did not end" };
        return _error is null
            ? _builder.Build(textSettings)
            : new DatabaseFingerprints { Error = _error, TextSettings = textSettings };
    }
}
