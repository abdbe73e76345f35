using System.Text.RegularExpressions;
using Bulwark.Cli.Infrastructure;

namespace Bulwark.Tests.Docs;

/// <summary>
/// The README's exit-code table is the one in <see cref="ExitCodes.Table"/>, which help texts print: same codes, same
/// order, same words.
/// </summary>
public sealed partial class ExitCodeTableTests
{
    private static string ReadmePath
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "Bulwark.slnx")) && File.Exists(Path.Combine(folder.FullName, "README.md")))
                    return Path.Combine(folder.FullName, "README.md");
            }
            throw new FileNotFoundException("README.md not found above the test folder");
        }
    }

    /// <summary>(code, meaning) of every row of the table in the README's "Exit codes" section.</summary>
    private static List<(int Code, string Meaning)> ReadmeTable()
    {
        var lines = File.ReadAllLines(ReadmePath);
        var start = Array.FindIndex(lines, l => l.Trim() == "## Exit codes");
        Assert.True(start >= 0, "the README has no '## Exit codes' section");
        var rows = new List<(int, string)>();
        foreach (var line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)))
        {
            if (RowPattern().Match(line) is { Success: true } row)
                rows.Add((int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), row.Groups[2].Value.Trim()));
        }
        return rows;
    }

    [Fact]
    public void ReadmeExitCodeTable_IsTheCodesTable()
    {
        var readme = ReadmeTable();
        Assert.NotEmpty(readme);
        Assert.Equal(ExitCodes.Table.Select(t => (t.Code, t.Meaning)).ToList(), readme);
    }

    [Fact]
    public void ExitCodeTable_HasACodeForEveryErrorKind()
    {
        var codes = ExitCodes.Table.Select(t => t.Code).ToHashSet();
        foreach (var kind in Enum.GetValues<ErrorKind>())
            Assert.True(codes.Contains(ExitCodes.For(kind)), $"{kind} exits {ExitCodes.For(kind)}, which the table does not list");
    }

    [GeneratedRegex(@"^\|\s*(\d+)\s*\|(.*)\|\s*$")]
    private static partial Regex RowPattern();
}
