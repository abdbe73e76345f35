namespace Bulwark.Repository.Snapshots;

/// <summary>A sequence's value as the dump sets it (setval(name, Value, IsCalled)).</summary>
public sealed record SequenceFingerprint
{
    public required string Schema { get; init; }
    public required string Name { get; init; }
    public required long Value { get; init; }
    public required bool IsCalled { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string QualifiedName => string.IsNullOrEmpty(Schema) ? Name : $"{Schema}.{Name}";
}
