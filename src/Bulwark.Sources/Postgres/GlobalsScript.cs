using System.Text;
using System.Text.RegularExpressions;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Splits a snapshot's globals.sql (pg_dumpall --globals-only) into statements, so that restore --globals runs them
/// through Npgsql and never through psql. The stream comes from the repository, which is untrusted input: whoever can
/// write to an unencrypted repository could put a psql meta-command in it, and under psql <c>\! cmd</c> runs a shell
/// command on the restoring host. pg_dumpall writes no meta-command in a globals dump except <c>\restrict KEY</c> and
/// <c>\unrestrict KEY</c> (since PostgreSQL 17.6, 16.10, 15.14, 14.19 and 13.22), which only mean something to psql and
/// are skipped; any other backslash outside a string, a quoted name or a comment (<c>\connect</c> included) gets the
/// whole script refused before anything runs.
/// The text is the dump's bytes read as Latin-1, one character per byte: the syntax that matters here is ASCII in every
/// server encoding, and the statements go back to the server as the same bytes, read under the script's own
/// <c>SET client_encoding</c>, as psql would send them.
/// </summary>
internal static partial class GlobalsScript
{
    /// <summary>Byte for byte: how the script is read and how its statements are sent.</summary>
    public static Encoding ByteEncoding => Encoding.Latin1;

    /// <summary>The name Npgsql resolves to <see cref="ByteEncoding"/>.</summary>
    public const string ByteEncodingName = "ISO-8859-1";

    /// <summary>The statements in order, each with its ';'; throws (Integrity) on a psql meta-command.</summary>
    public static IReadOnlyList<string> Split(string text, string snapshot)
    {
        var statements = new List<string>();
        var start = 0;
        var hasCode = false; // the current statement holds more than comments and blanks
        var standardStrings = true;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '-' && At(text, i + 1) == '-')
            {
                i = text.IndexOf('\n', i) is var end and >= 0 ? end : text.Length;
            }
            else if (c == '/' && At(text, i + 1) == '*')
            {
                i = SkipBlockComment(text, i);
            }
            else if (c == '\'')
            {
                var escapes = !standardStrings || (At(text, i - 1) is 'E' or 'e' && !IsIdentifierChar(At(text, i - 2)));
                i = SkipQuoted(text, i, '\'', escapes);
                hasCode = true;
            }
            else if (c == '"')
            {
                i = SkipQuoted(text, i, '"', escapes: false);
                hasCode = true;
            }
            else if (c == '$' && !IsIdentifierChar(At(text, i - 1)) && DollarTag(text, i) is { } tag)
            {
                var end = text.IndexOf(tag, i + tag.Length, StringComparison.Ordinal);
                i = end >= 0 ? end + tag.Length : text.Length;
                hasCode = true;
            }
            else if (c == '\\')
            {
                var lineEnd = text.IndexOf('\n', i) is var end and >= 0 ? end : text.Length;
                if (hasCode || (i > 0 && text[i - 1] != '\n') || !RestrictLine().IsMatch(text.AsSpan(i, lineEnd - i)))
                    throw MetaCommand(text, i, snapshot);
                i = lineEnd;
                start = i;
            }
            else if (c == '\0')
            {
                throw new BulwarkException(ErrorKind.Integrity,
                    $"snapshot {snapshot}: globals.sql holds a NUL byte at line {LineOf(text, i)}, which pg_dumpall does not write; nothing was applied",
                    "the snapshot is damaged or was not written by Bulwark");
            }
            else if (c == ';')
            {
                i++;
                if (hasCode)
                {
                    var statement = Checked(text, start, i, snapshot);
                    if (StandardStrings().Match(statement) is { Success: true } set)
                        standardStrings = set.Groups[1].Value.ToLowerInvariant() is "on" or "true" or "yes" or "1";
                    statements.Add(statement);
                }
                start = i;
                hasCode = false;
            }
            else
            {
                hasCode |= !char.IsWhiteSpace(c);
                i++;
            }
        }
        if (hasCode)
            statements.Add(Checked(text, start, text.Length, snapshot)); // psql runs an unterminated last statement too
        return statements;
    }

    /// <summary>
    /// The statement from <paramref name="start"/> to <paramref name="end"/>, unless it is a COPY: pg_dumpall writes
    /// none in a globals dump, and COPY FROM STDIN would wait for data that is not there (there is no psql to send it).
    /// </summary>
    private static string Checked(string text, int start, int end, string snapshot)
    {
        var i = start;
        while (i < end)
        {
            if (char.IsWhiteSpace(text[i]))
                i++;
            else if (text[i] == '-' && At(text, i + 1) == '-')
                i = text.IndexOf('\n', i) is var lineEnd and >= 0 ? lineEnd : end;
            else if (text[i] == '/' && At(text, i + 1) == '*')
                i = SkipBlockComment(text, i);
            else
                break;
        }
        var word = i;
        while (word < end && IsIdentifierChar(text[word]))
            word++;
        if (text.AsSpan(i, word - i).Equals("COPY", StringComparison.OrdinalIgnoreCase))
            throw new BulwarkException(ErrorKind.Integrity,
                $"snapshot {snapshot}: globals.sql holds a COPY statement at line {LineOf(text, i)}, which pg_dumpall does not write; nothing was applied",
                "the repository may have been tampered with: check who can write to it; restore without --globals");
        return text[start..end];
    }

    private static char At(string text, int index) => index >= 0 && index < text.Length ? text[index] : '\0';

    private static bool IsIdentifierChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '$' || c >= '\u0080';

    /// <summary>The index after the closing quote (or the end of the text).</summary>
    private static int SkipQuoted(string text, int i, char quote, bool escapes)
    {
        for (i++; i < text.Length; i++)
        {
            if (escapes && text[i] == '\\')
                i++;
            else if (text[i] == quote)
            {
                if (At(text, i + 1) != quote)
                    return i + 1;
                i++; // a doubled quote stands for itself
            }
        }
        return text.Length;
    }

    /// <summary>The index after a (nested) block comment, or the end of the text.</summary>
    private static int SkipBlockComment(string text, int i)
    {
        var depth = 0;
        while (i < text.Length)
        {
            if (text[i] == '/' && At(text, i + 1) == '*')
            {
                depth++;
                i += 2;
            }
            else if (text[i] == '*' && At(text, i + 1) == '/')
            {
                i += 2;
                if (--depth == 0)
                    return i;
            }
            else
            {
                i++;
            }
        }
        return text.Length;
    }

    /// <summary>$tag$ or $$ at <paramref name="i"/>; null for a positional parameter ($1) or a lone '$'.</summary>
    private static string? DollarTag(string text, int i)
    {
        var j = i + 1;
        if (j < text.Length && (char.IsAsciiDigit(text[j])))
            return null;
        while (j < text.Length && text[j] != '$' && IsIdentifierChar(text[j]))
            j++;
        return j < text.Length && text[j] == '$' ? text[i..(j + 1)] : null;
    }

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    private static BulwarkException MetaCommand(string text, int i, string snapshot)
    {
        var name = new StringBuilder();
        for (var j = i; j < text.Length && j < i + 20 && (j == i || !char.IsWhiteSpace(text[j]) && text[j] != '\\'); j++)
            name.Append(char.IsControl(text[j]) || text[j] >= '\u0080' ? '?' : text[j]);
        return new BulwarkException(ErrorKind.Integrity,
            $"snapshot {snapshot}: globals.sql holds a psql command ({name}) at line {LineOf(text, i)}, which pg_dumpall does not write; nothing was applied",
            "the repository may have been tampered with: check who can write to it; restore without --globals, or review the file (--to-file PATH --stream globals.sql) and apply it by hand");
    }

    [GeneratedRegex(@"^\\(un)?restrict [A-Za-z0-9]+[ \t\r]*$")]
    private static partial Regex RestrictLine();

    [GeneratedRegex(@"^(?:\s|--[^\n]*\n)*SET\s+(?:SESSION\s+)?standard_conforming_strings\s*(?:=|TO)\s*'?(\w+)'?\s*;\s*$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StandardStrings();
}
