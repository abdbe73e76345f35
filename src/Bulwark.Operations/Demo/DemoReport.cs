namespace Bulwark.Operations.Demo;

/// <summary>What the demo did and where it left the repository.</summary>
public sealed record DemoReport(
    string WorkDirectory,
    string Repository,
    string FirstSnapshot,
    string SecondSnapshot,
    long DumpBytes,
    long FirstStoredBytes,
    long SecondNewBytes,
    long SecondReusedBytes,
    long VerifiedBytes,
    string RestoredDatabase,
    long ComparedLines,
    bool Equal,
    IReadOnlyList<string> Differences);
