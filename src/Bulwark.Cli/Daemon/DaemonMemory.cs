using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Bulwark.Cli.Daemon;

/// <summary>
/// The daemon's memory as the runtime sees it: resident and peak from the kernel, the GC heap's size, commit and
/// fragmentation after the last collection, per generation. Shown in /metrics and, with --verbose, after each
/// dashboard refresh.
/// </summary>
internal readonly record struct DaemonMemory(
    long Resident,
    long Peak,
    long HeapSize,
    long Committed,
    long Fragmented,
    long Promoted,
    long TotalMemory,
    long Allocated,
    long[] Generations,
    int[] Collections)
{
    private static readonly string[] GenerationNames = ["gen0", "gen1", "gen2", "large", "pinned"];

    public static DaemonMemory Read()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var generations = new long[GenerationNames.Length];
        var sizes = info.GenerationInfo;
        for (var i = 0; i < generations.Length && i < sizes.Length; i++)
            generations[i] = sizes[i].SizeAfterBytes;
        using var process = Process.GetCurrentProcess();
        return new DaemonMemory(process.WorkingSet64, process.PeakWorkingSet64, info.HeapSizeBytes, info.TotalCommittedBytes,
            info.FragmentedBytes, info.PromotedBytes, GC.GetTotalMemory(forceFullCollection: false), GC.GetTotalAllocatedBytes(), generations,
            [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)]);
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture,
            $"memory (MiB): resident {Mi(Resident)}, peak {Mi(Peak)}; GC heap {Mi(HeapSize)}, committed {Mi(Committed)}, " +
            $"fragmented {Mi(Fragmented)}, promoted {Mi(Promoted)}, total memory {Mi(TotalMemory)}, allocated since start {Mi(Allocated)}; by generation");
        for (var i = 0; i < Generations.Length; i++)
            text.Append(CultureInfo.InvariantCulture, $" {GenerationNames[i]} {Mi(Generations[i])}");
        text.Append(CultureInfo.InvariantCulture, $"; collections {Collections[0]}/{Collections[1]}/{Collections[2]}");
        return text.ToString();
    }

    /// <summary>The GC's settings as it read them (from the environment or the program's own runtime options).</summary>
    public static string Settings() =>
        "GC settings: " + string.Join(", ", GC.GetConfigurationVariables().OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key}={p.Value}")));

    private static string Mi(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);
}
