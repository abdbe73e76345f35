using System.Text.Json;
using Bulwark.Operations.Health;
using Bulwark.Repository.Format;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Alerts;

/// <summary>
/// What each channel has been told (STATE/alerts.json): the problems it knows are open. A problem is announced when
/// it is not there (or its fingerprint changed), and its recovery when it leaves. Replaced atomically.
/// </summary>
internal sealed record AlertState
{
    public Dictionary<string, Dictionary<string, OpenProblem>> Channels { get; init; } = new(StringComparer.Ordinal);

    public static AlertState Read(string path)
    {
        try
        {
            return File.Exists(path)
                ? JsonSerializer.Deserialize(File.ReadAllBytes(path), OperationsJson.TypeInfo<AlertState>()) ?? new AlertState()
                : new AlertState();
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return new AlertState(); // at worst an open problem is announced once more
        }
    }

    public void Write(string path) => AtomicFile.Write(path, JsonSerializer.SerializeToUtf8Bytes(this, RepositoryJson.TypeInfo<AlertState>(OperationsJson.Indented)));
}

/// <summary>A problem a channel was told about.</summary>
internal sealed record OpenProblem
{
    public required HealthStatus Status { get; init; }
    public required string Fingerprint { get; init; }
    public required string Title { get; init; }
    public required string Message { get; init; }
    public required DateTimeOffset Since { get; init; }
    public required DateTimeOffset LastSent { get; init; }
}
