using System.Text;
using System.Text.RegularExpressions;

namespace Bulwark.Sources.Postgres.Parallel;

/// <summary>
/// A pg_dump name pattern ("public.audit_*", "\"Mixed\".t?") matched as pg_dump matches it: outside double quotes
/// letters fold to lower case, * and ? are wildcards, a dot separates schema and name, $ is literal and other
/// regular-expression syntax passes through; inside double quotes everything is literal. A pattern without a schema
/// matches only tables visible in the default search_path.
/// </summary>
internal sealed class DumpPattern
{
    private readonly Regex? _schema;
    private readonly Regex _name;

    private DumpPattern(Regex? schema, Regex name)
    {
        _schema = schema;
        _name = name;
    }

    public static DumpPattern Parse(string pattern)
    {
        var parts = new List<StringBuilder> { new() };
        var quoted = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            var part = parts[^1];
            if (c == '"')
            {
                if (quoted && i + 1 < pattern.Length && pattern[i + 1] == '"')
                {
                    part.Append('"');
                    i++;
                }
                else
                {
                    quoted = !quoted;
                }
            }
            else if (quoted)
                part.Append(Regex.Escape(c.ToString()));
            else if (c == '.')
                parts.Add(new StringBuilder());
            else if (c == '*')
                part.Append(".*");
            else if (c == '?')
                part.Append('.');
            else if (c == '$')
                part.Append("\\$");
            else
                part.Append(char.ToLowerInvariant(c));
        }
        if (parts.Count > 3)
            throw new BulwarkException(ErrorKind.Configuration, $"improper qualified name (too many dotted names): {pattern}",
                "write a table pattern as table or schema.table");
        // database.schema.table: the database part is the one being dumped.
        Regex Anchored(StringBuilder part) => new($"^(?:{part})$", RegexOptions.CultureInvariant);
        return parts.Count == 1
            ? new DumpPattern(null, Anchored(parts[0]))
            : new DumpPattern(Anchored(parts[^2]), Anchored(parts[^1]));
    }

    public bool Matches(string schema, string name, bool visible) =>
        _name.IsMatch(name) && (_schema is null ? visible : _schema.IsMatch(schema));
}
