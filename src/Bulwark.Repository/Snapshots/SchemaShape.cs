namespace Bulwark.Repository.Snapshots;

/// <summary>
/// The schema's shape as the dump's table of contents holds it: counts of the kinds people ask about, and for every
/// kind of entry ("TABLE", "INDEX", "FK CONSTRAINT", …) a count and an order-independent hash of the definitions.
/// </summary>
public sealed record SchemaShape
{
    /// <summary>Tables, partitioned tables and foreign tables.</summary>
    public int Tables { get; init; }
    public int Indexes { get; init; }
    /// <summary>Primary key, unique, exclusion, foreign key and check constraints (not-null ones are not counted).</summary>
    public int Constraints { get; init; }
    /// <summary>Functions, procedures and aggregates.</summary>
    public int Functions { get; init; }
    /// <summary>Triggers and event triggers.</summary>
    public int Triggers { get; init; }
    /// <summary>Views and materialized views.</summary>
    public int Views { get; init; }
    public int Sequences { get; init; }
    public int Schemas { get; init; }
    public int Extensions { get; init; }

    /// <summary>Per kind of TOC entry: count and hash of the definitions.</summary>
    public IReadOnlyDictionary<string, ObjectGroupFingerprint> Objects { get; init; } = new Dictionary<string, ObjectGroupFingerprint>();
}
