namespace Bulwark.Bench;

/// <summary>
/// The bulwark program the benchmarks run: by default the checkout's, which './bulwark' builds into
/// .bulwark-build/cli (a native executable where the NativeAOT toolchain exists, else ReadyToRun-compiled
/// 'dotnet .../bulwark.dll'); '--program PATH' names another (a native executable, or a bulwark.dll).
/// </summary>
public static class CheckoutProgram
{
    /// <summary>The program given with --program, if any.</summary>
    public static string? Override { get; set; }

    private static bool _announced;

    /// <summary>Builds the program when the sources changed; returns the file to run and the arguments that come first.</summary>
    public static async Task<(string File, string[] Prefix)> BuildAsync()
    {
        string file;
        string[] prefix;
        if (Override is not null)
        {
            (file, prefix) = Override.EndsWith(".dll", StringComparison.Ordinal) ? ("dotnet", new[] { Override }) : (Override, Array.Empty<string>());
        }
        else
        {
            var root = Root();
            await Measure.RunProcessAsync(Path.Combine(root, "bulwark"), ["--version"]);
            var folder = Path.Combine(root, ".bulwark-build", "cli");
            var dll = Path.Combine(folder, "bulwark.dll");
            // ./bulwark builds a native executable (no bulwark.dll) where the toolchain exists.
            (file, prefix) = File.Exists(dll) ? ("dotnet", new[] { dll }) : (Path.Combine(folder, "bulwark"), Array.Empty<string>());
        }
        if (!_announced)
        {
            _announced = true;
            Console.WriteLine($"program: {Describe(file, prefix)}");
            Console.WriteLine();
        }
        return (file, prefix);
    }

    /// <summary>Whether the program is a native executable (no runtime, no JIT).</summary>
    public static bool IsNative(string[] prefix) => prefix.Length == 0;

    private static string Describe(string file, string[] prefix) =>
        IsNative(prefix) ? $"{file} (native)" : $"dotnet {string.Join(' ', prefix)} (ReadyToRun or JIT)";

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
