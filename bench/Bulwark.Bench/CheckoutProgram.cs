namespace Bulwark.Bench;

/// <summary>
/// The bulwark program as this checkout runs it: './bulwark' builds it (ReadyToRun-compiled where the platform
/// allows) into .bulwark-build/cli, and a schedule installed from the checkout runs 'dotnet .../bulwark.dll'.
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
        return ("dotnet", [Path.Combine(root, ".bulwark-build", "cli", "bulwark.dll")]);
    }
}
