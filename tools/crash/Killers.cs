using System.Diagnostics;
using System.Globalization;

namespace Bulwark.Crash;

/// <summary>The ways a trial kills: bulwark itself after a delay, or its pg_dump child a delay after it started.</summary>
public static class Killers
{
    /// <summary>SIGKILL to bulwark <paramref name="delay"/> after it started (nothing when it ended before).</summary>
    public static Func<Process, Stopwatch, Task<KillRecord>> After(TimeSpan delay) => async (process, watch) =>
    {
        var wait = delay - watch.Elapsed;
        if (wait > TimeSpan.Zero)
            await Task.Delay(wait).ConfigureAwait(false);
        try
        {
            if (process.HasExited)
                return KillRecord.None;
            var at = watch.Elapsed;
            process.Kill(); // SIGKILL, to bulwark alone: its children see their pipes close, as after a real crash
            return new KillRecord(true, "bulwark", at);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return KillRecord.None; // it had ended
        }
    };

    /// <summary>
    /// Waits for the child of bulwark named <paramref name="name"/> whose command line contains
    /// <paramref name="marker"/>, then SIGKILLs it <paramref name="delay"/> after it was first seen (nothing when it
    /// ended before). <paramref name="seen"/> gets how long the child lived when it was not killed.
    /// </summary>
    public static Func<Process, Stopwatch, Task<KillRecord>> Child(string name, string marker, TimeSpan? delay,
        Action<TimeSpan>? seen = null) => async (process, watch) =>
    {
        int? child = null;
        var firstSeen = TimeSpan.Zero;
        while (!process.HasExited)
        {
            if (child is null)
            {
                child = FindChild(process.Id, name, marker);
                if (child is not null)
                    firstSeen = watch.Elapsed;
            }
            if (child is { } pid)
            {
                var state = State(pid);
                if (state is null or 'Z' || ParentOf(pid) != process.Id)
                {
                    seen?.Invoke(watch.Elapsed - firstSeen);
                    return KillRecord.None; // it finished before its time came
                }
                if (delay is { } d && watch.Elapsed - firstSeen >= d)
                {
                    var at = watch.Elapsed;
                    // Stopped first, so that a process that exited an instant ago (a zombie: a kill still "succeeds")
                    // is told from one killed while it worked.
                    if (!await StopAsync(pid).ConfigureAwait(false))
                    {
                        seen?.Invoke(watch.Elapsed - firstSeen);
                        return KillRecord.None; // it finished before its time came
                    }
                    _ = Signal(pid, SigKill);
                    return new KillRecord(true, name, at);
                }
            }
            await Task.Delay(2).ConfigureAwait(false);
        }
        if (child is not null)
            seen?.Invoke(watch.Elapsed - firstSeen);
        return KillRecord.None;
    };

    /// <summary>The children of <paramref name="pid"/> (every thread's), from /proc.</summary>
    public static IEnumerable<int> Children(int pid)
    {
        var tasks = $"/proc/{pid}/task";
        string[] threads;
        try
        {
            threads = Directory.GetDirectories(tasks);
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (var thread in threads)
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(thread, "children"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var child))
                    yield return child;
            }
        }
    }

    private static int? FindChild(int parent, string name, string marker)
    {
        foreach (var child in Children(parent))
        {
            try
            {
                if (File.ReadAllText($"/proc/{child}/comm").Trim() != name)
                    continue;
                if (File.ReadAllText($"/proc/{child}/cmdline").Replace('\0', ' ').Contains(marker, StringComparison.Ordinal))
                    return child;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return null;
    }

    /// <summary>The state letter of a process (R, S, Z, …) from /proc/PID/stat, or null when it is gone.</summary>
    private static char? State(int pid) => Stat(pid) is { } fields ? fields[0][0] : null;

    private const int SigKill = 9;
    private const int SigStop = 19;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Signal(int pid, int signal);

    /// <summary>Stops <paramref name="pid"/>; true while it lives (stopped or about to be), false when it had exited.</summary>
    private static async Task<bool> StopAsync(int pid)
    {
        if (Signal(pid, SigStop) != 0)
            return false;
        for (var i = 0; i < 500; i++)
        {
            switch (State(pid))
            {
                case 'T' or 't':
                    return true;
                case null or 'Z' or 'X':
                    return false;
            }
            await Task.Delay(1).ConfigureAwait(false);
        }
        return true; // still running (the stop is pending, e.g. in an uninterruptible wait): alive, so killed
    }

    private static int? ParentOf(int pid) =>
        Stat(pid) is { } fields && int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ppid) ? ppid : null;

    /// <summary>The fields of /proc/PID/stat after the command name (state, ppid, …).</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var end = text.LastIndexOf(')');
            return end < 0 ? null : text[(end + 2)..].Split(' ');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
