using System.Globalization;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// CPU seconds a local server has spent so far (Linux): its postmaster's own, its live processes' (checkpointer, WAL
/// writer, backends, parallel workers), and those of the processes it has reaped (backends of closed connections).
/// The difference across a run is the server's share of that run.
/// </summary>
public static class ServerCpu
{
    /// <summary>Clock ticks per second of /proc's times (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    public static double Seconds(LocalPostgresServer server)
    {
        if (!OperatingSystem.IsLinux())
            return double.NaN;
        var postmaster = int.Parse(File.ReadLines(Path.Combine(server.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var (_, own, reaped) = Read(postmaster) ?? throw new InvalidOperationException("the server is not running");
        var ticks = own + reaped;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) &&
                Read(pid) is { } process && process.Parent == postmaster)
                ticks += process.Own + process.Reaped;
        }
        return ticks / TicksPerSecond;
    }

    /// <summary>/proc/PID/stat: the parent, utime + stime, and cutime + cstime; null when the process is gone.</summary>
    private static (int Parent, long Own, long Reaped)? Read(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its end.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15), Field(16) + Field(17));
    }
}
