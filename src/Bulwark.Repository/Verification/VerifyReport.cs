namespace Bulwark.Repository.Verification;

/// <summary>One thing wrong: the object, what is wrong with it, and the snapshots it breaks (short ids).</summary>
public sealed record VerifyProblem(string Object, string Message, IReadOnlyList<string> Snapshots);

/// <summary>The outcome of a verification.</summary>
public sealed record VerifyReport
{
    public required int SnapshotsChecked { get; init; }
    public required int ChunksChecked { get; init; }
    public required int StreamsChecked { get; init; }
    public required long BytesRead { get; init; }
    public required bool ReadData { get; init; }
    public required IReadOnlyList<VerifyProblem> Problems { get; init; }
    public bool Ok => Problems.Count == 0;
}
