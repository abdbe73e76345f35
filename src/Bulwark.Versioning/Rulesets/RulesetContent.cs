using System.Security.Cryptography;
using System.Text;
using DiffPlex.Renderer;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bulwark.Versioning.Rulesets;

/// <summary>What a ruleset's content must be (UTF-8 YAML, at most <see cref="MaxSize"/> bytes) and how it is read, checked and compared.</summary>
internal static class RulesetContent
{
    /// <summary>Rulesets are small text files; their content is stored inline in the version event.</summary>
    public const long MaxSize = 64L << 20;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    /// <summary>The working file of ruleset <paramref name="name"/> and its SHA-256; a missing or too large file is refused.</summary>
    public static async Task<(byte[] Content, string Sha256)> ReadWorkingFileAsync(string name, string? path,
        CancellationToken cancellationToken)
    {
        if (path is null)
            throw new BulwarkException(ErrorKind.Configuration, $"no file is configured for ruleset '{name}'",
                $"add it under 'rulesets:' in bulwark.yml, e.g. '{name}: {name}.yml'");
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new BulwarkException(ErrorKind.Usage, $"ruleset file {path} does not exist",
                "create it, or fix the path under 'rulesets:' in bulwark.yml");
        if (info.Length > MaxSize)
            throw new BulwarkException(ErrorKind.Refused, $"{path} is {info.Length} bytes; a ruleset may have at most {MaxSize} bytes",
                "split the ruleset, or keep large data out of it");
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Failed, $"cannot read {path}: {e.Message}", "check that it is readable");
        }
        return (content, Sha256(content));
    }

    /// <summary>Throws a usage error with line and column when <paramref name="content"/> is not YAML.</summary>
    public static void CheckYaml(byte[] content, string path)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new BulwarkException(ErrorKind.Usage, $"{path} is not UTF-8 text, so not a YAML ruleset", "save it as UTF-8");
        }
        if (string.IsNullOrWhiteSpace(text))
            throw new BulwarkException(ErrorKind.Usage, $"{path} is empty", "write the ruleset first");
        try
        {
            new YamlStream().Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            var inner = e;
            while (inner.InnerException is YamlException deeper)
                inner = deeper;
            throw new BulwarkException(ErrorKind.Usage,
                $"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {inner.Message}",
                "fix the file at that line and column; nothing was registered");
        }
    }

    /// <summary>The content of a stored version, after checking it against its SHA-256 and size.</summary>
    public static byte[] Checked(RulesetVersionRecord record)
    {
        if (Sha256(record.Content) != record.Sha256 || record.Content.LongLength != record.Size)
            throw new BulwarkException(ErrorKind.Integrity,
                $"version {record.Version} of ruleset '{record.Ruleset}' is damaged: its content does not match its SHA-256",
                "run 'bulwark verify'; restore the repository's events/rulesets/ from a copy");
        return record.Content;
    }

    /// <summary>A unified diff with three lines of context; empty when the texts are the same.</summary>
    public static string Diff(string oldText, string newText, string oldLabel, string newLabel) =>
        oldText == newText ? "" : new UnidiffRenderer(null, 3).Generate(oldText, newText, oldLabel, newLabel, false, false);
}
