namespace Bulwark.Bench;

/// <summary>
/// The bulwark program as this checkout runs it: './bulwark' builds it into .bulwark-build/cli (a native executable
/// where the NativeAOT toolchain exists, else ReadyToRun-compiled 'dotnet .../bulwark.dll').
/// </summary>
public static class CheckoutProgram
{
    /// <summary>Builds the program when the sources changed; returns the file to run and the arguments that come first.</summary>
    public static async Task<(string File, string[] Prefix)> BuildAsync()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Bulwark.slnx")))
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))
                   ?? throw new InvalidOperationException("the benchmark does not run from a Bulwark checkout");
        await Measure.RunProcessAsync(Path.Combine(root, "bulwark"), ["--version"]);
        var folder = Path.Combine(root, ".bulwark-build", "cli");
        var dll = Path.Combine(folder, "bulwark.dll");
        // ./bulwark builds a native executable (no bulwark.dll) where the toolchain exists.
        return File.Exists(dll) ? ("dotnet", [dll]) : (Path.Combine(folder, "bulwark"), []);
    }

    /// <summary>The checkout's root folder.</summary>
    public static string Root()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Bulwark.slnx")))
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))
                   ?? throw new InvalidOperationException("the benchmark does not run from a Bulwark checkout");
        return root;
    }
}
