using System.Buffers;
using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Bulwark.Operations.Logging;

/// <summary>
/// Removes secrets from text that leaves the process (logs, messages): every password this process resolved, and
/// anything shaped like one (URL user info, password=…, SAS signatures, account keys).
/// </summary>
public static partial class SecretRedactor
{
    private static readonly ConcurrentDictionary<string, byte> Known = new();

    /// <summary>Remembers a secret so that it is removed wherever it appears.</summary>
    public static void Register(string? secret)
    {
        if (!string.IsNullOrEmpty(secret) && secret.Length >= 3)
            Known.TryAdd(secret, 0);
    }

    public static string Redact(string text)
    {
        // Known secrets holding a character at which the shapes stop go first, whole: "password=ab,cd" would lose only
        // "ab". The others after the shapes: one that is also a word ("secret") would break "secret_key=…" apart.
        foreach (var secret in Known.Keys)
        {
            if (secret.AsSpan().IndexOfAny(ShapeStops) >= 0)
                text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        text = UserInfo().Replace(text, "$1***@");
        text = KeyValue().Replace(text, "$1***");
        foreach (var secret in Known.Keys)
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        return text;
    }

    private static readonly SearchValues<char> ShapeStops = SearchValues.Create(" \t\r\n&;,\"'@/:");

    // The password runs to the last '@' of the address: it may hold an unencoded '/', '?', '#' or '@'.
    [GeneratedRegex(@"(://[^:/@?#\s""']*:)[^\s""']*@")]
    private static partial Regex UserInfo();

    [GeneratedRegex(@"(?i)((?:password|passwd|pwd|secret|sig|accountkey|access_key|secret_key|token)\s*[=:]\s*)('[^']*'|[^\s&;,""']+)")]
    private static partial Regex KeyValue();
}
