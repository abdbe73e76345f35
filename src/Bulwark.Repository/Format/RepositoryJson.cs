using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Bulwark.Repository.Format;

/// <summary>The one JSON style of every object in a repository: camelCase, no nulls, ISO times.</summary>
public static class RepositoryJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        // Generated serializers for the repository's own objects; reflection for the rest (events of other layers).
        TypeInfoResolver = JsonTypeInfoResolver.Combine(RepositoryJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };

    public static byte[] Serialize<T>(T value) => JsonSerializer.SerializeToUtf8Bytes(value, Options);

    /// <summary>Parses <paramref name="json"/>; a malformed document is an integrity error naming <paramref name="what"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                   ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new BulwarkException(ErrorKind.Integrity, $"{what} is damaged: {e.Message}",
                "run 'bulwark verify' to see what else is affected");
        }
    }
}
