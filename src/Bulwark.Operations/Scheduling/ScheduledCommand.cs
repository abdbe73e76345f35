namespace Bulwark.Operations.Scheduling;

/// <summary>
/// The command line that crontab entries and systemd units run: this program (the apphost, the single-file binary,
/// or 'dotnet bulwark.dll'), the configuration file, and 'schedule run JOB --scheduled'.
/// </summary>
public sealed record ScheduledCommand(IReadOnlyList<string> Program, string ConfigPath, string WorkingDirectory)
{
    public IReadOnlyList<string> For(string job) =>
        [.. Program, "--config", ConfigPath, "schedule", "run", job, "--scheduled"];

    /// <summary>
    /// How this process was started. A .NET tool runs from a versioned folder under ~/.dotnet/tools/.store that an
    /// update replaces, so its shim ~/.dotnet/tools/bulwark is named instead.
    /// </summary>
    public static IReadOnlyList<string> CurrentProgram()
    {
        var process = Environment.ProcessPath ?? "bulwark";
        var name = Path.GetFileNameWithoutExtension(process);
        if (name == "dotnet")
        {
            // 'dotnet bulwark.dll': the first argument is the assembly's full path.
            var assembly = Environment.GetCommandLineArgs()[0];
            return string.IsNullOrEmpty(assembly) || !File.Exists(assembly) ? [process] : [process, Path.GetFullPath(assembly)];
        }
        var store = $"{Path.DirectorySeparatorChar}.store{Path.DirectorySeparatorChar}";
        var index = process.IndexOf(store, StringComparison.Ordinal);
        if (index >= 0)
        {
            var shim = Path.Combine(process[..index], name);
            if (File.Exists(shim))
                return [shim];
        }
        return [process];
    }
}
