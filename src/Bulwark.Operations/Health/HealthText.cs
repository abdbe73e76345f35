using System.Globalization;

namespace Bulwark.Operations.Health;

/// <summary>How checks word ages and sizes.</summary>
internal static class HealthText
{
    public static string Age(TimeSpan age) => age.TotalMinutes switch
    {
        < 1 => $"{Math.Max(0, age.TotalSeconds):0} s",
        < 90 => $"{age.TotalMinutes:0} min",
        < 72 * 60 => $"{age.TotalHours:0.#} h",
        _ => $"{age.TotalDays:0.#} d",
    };

    public static string Bytes(long bytes) => Demo.DemoRunner.Bytes(bytes);

    public static string Percent(double value) => value.ToString("0.#", CultureInfo.InvariantCulture) + "%";

    public static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    /// <summary>The first three problems and how many more there are: one line stays readable.</summary>
    public static string FirstFew(IReadOnlyCollection<string> problems) =>
        string.Join("; ", problems.Take(3)) + (problems.Count > 3 ? $" (and {problems.Count - 3} more)" : "");
}
