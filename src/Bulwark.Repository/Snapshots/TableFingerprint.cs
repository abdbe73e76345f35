namespace Bulwark.Repository.Snapshots;

/// <summary>The rows of one table: how many, and the order-independent hash of their COPY text (32 hex digits).</summary>
public sealed record TableFingerprint
{
    public required string Schema { get; init; }
    public required string Name { get; init; }
    public required long Rows { get; init; }
    public required string Hash { get; init; }
    /// <summary>Bytes of COPY text.</summary>
    public long Bytes { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string QualifiedName => string.IsNullOrEmpty(Schema) ? Name : $"{Schema}.{Name}";
}
