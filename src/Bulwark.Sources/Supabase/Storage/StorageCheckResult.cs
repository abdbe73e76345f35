using Bulwark.Sources.Postgres.Fingerprints;

namespace Bulwark.Sources.Supabase.Storage;

/// <summary>What <see cref="StorageRowCheck"/> found.</summary>
public sealed record StorageCheckResult
{
    /// <summary>Rows of storage.objects checked.</summary>
    public required long Rows { get; init; }
    /// <summary>Storage objects in the snapshot.</summary>
    public required int Files { get; init; }
    /// <summary>Rows without their file, and sizes that differ.</summary>
    public required IReadOnlyList<FingerprintDifference> Differences { get; init; }
    /// <summary>Files without a row: objects created after the database's snapshot was taken (not a difference).</summary>
    public required int FilesWithoutRow { get; init; }

    public string Summary =>
        $"storage: {Rows} storage.objects row{(Rows == 1 ? "" : "s")} checked against {Files} stored file{(Files == 1 ? "" : "s")}" +
        (Differences.Count == 0 ? ", each with its file and size" : $", {Differences.Count} difference{(Differences.Count == 1 ? "" : "s")}") +
        (FilesWithoutRow > 0 ? $"; {FilesWithoutRow} file{(FilesWithoutRow == 1 ? " has" : "s have")} no row (created after the database snapshot)" : "");
}
