using System.Text;
using System.Text.RegularExpressions;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Keeps the team's part of a Supabase project's globals (pg_dumpall --globals-only): its own roles, their settings
/// and memberships. The platform's reserved roles, its tablespaces and its parameter grants are left out: a fresh
/// project has its own, and the project's role could not recreate them. A GRANTED BY naming a reserved role is
/// dropped, so that the restoring role grants as itself.
/// </summary>
internal static partial class SupabaseGlobals
{
    /// <summary>The whole script, byte for byte as characters (see <see cref="GlobalsScript.ByteEncoding"/>).</summary>
    public static async Task<string> ReadAsync(Stream script, CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        await script.CopyToAsync(text, cancellationToken).ConfigureAwait(false);
        return GlobalsScript.ByteEncoding.GetString(text.GetBuffer(), 0, (int)text.Length);
    }

    /// <summary>The filtered script as the bytes it was read from.</summary>
    public static MemoryStream FilterToStream(string script, SupabasePlatform platform) =>
        new(GlobalsScript.ByteEncoding.GetBytes(Filter(script, platform)));

    public static string Filter(string script, SupabasePlatform platform)
    {
        var kept = new StringBuilder();
        foreach (var statement in GlobalsScript.Split(script, "(new)"))
        {
            var text = WithoutLeadingComments(statement);
            if (Keep(text, platform) is { } keep)
                kept.Append(keep).Append('\n');
        }
        return kept.ToString();
    }

    /// <summary>The statement to keep (possibly rewritten), or null to leave it out.</summary>
    private static string? Keep(string statement, SupabasePlatform platform)
    {
        bool Team(string identifier) => !platform.IsReservedRole(Unquote(identifier));

        if (RoleStatement().Match(statement) is { Success: true } role)
            return Team(role.Groups["name"].Value) ? statement : null;
        if (RoleGrant().Match(statement) is { Success: true } grant)
        {
            if (!Team(grant.Groups["role"].Value) && !Team(grant.Groups["member"].Value))
                return null;
            return GrantedBy().Replace(statement, by => Team(by.Groups["grantor"].Value) ? by.Value : "");
        }
        if (PlatformStatement().IsMatch(statement))
            return null;
        return statement;
    }

    private static string WithoutLeadingComments(string statement)
    {
        var i = 0;
        while (i < statement.Length)
        {
            if (char.IsWhiteSpace(statement[i]))
                i++;
            else if (statement[i] == '-' && i + 1 < statement.Length && statement[i + 1] == '-')
                i = statement.IndexOf('\n', i) is var end and >= 0 ? end : statement.Length;
            else
                break;
        }
        return statement[i..];
    }

    private static string Unquote(string identifier) =>
        identifier.StartsWith('"') ? identifier[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : identifier;

    private const string Identifier = @"(?:""(?:[^""]|"""")+""|[\p{L}_][\p{L}\p{N}_$]*)";

    [GeneratedRegex(@"^(?:CREATE\s+ROLE|ALTER\s+ROLE|COMMENT\s+ON\s+ROLE|SECURITY\s+LABEL\s+(?:FOR\s+" + Identifier + @"\s+)?ON\s+ROLE)\s+(?<name>" + Identifier + ")",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RoleStatement();

    [GeneratedRegex(@"^GRANT\s+(?<role>" + Identifier + @")\s+TO\s+(?<member>" + Identifier + ")",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex RoleGrant();

    [GeneratedRegex(@"\s+GRANTED\s+BY\s+(?<grantor>" + Identifier + ")", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex GrantedBy();

    /// <summary>Tablespaces and parameter privileges: the platform's.</summary>
    [GeneratedRegex(@"^(?:(?:CREATE|ALTER|DROP|COMMENT\s+ON)\s+TABLESPACE\b|SECURITY\s+LABEL\b.*\bON\s+TABLESPACE\b|(?:GRANT|REVOKE)\b.*\bON\s+PARAMETER\b)",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline)]
    private static partial Regex PlatformStatement();
}
