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
        Converters = { new JsonStringEnumConverter<Locking.LockMode>(JsonNamingPolicy.KebabCaseLower) },
        // Generated serializers only (the native build has no reflection serializer): a layer above with objects of
        // its own passes options whose resolver knows them too.
        TypeInfoResolver = RepositoryJsonContext.Default,
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };

    public static byte[] Serialize<T>(T value, JsonSerializerOptions? options = null) =>
        JsonSerializer.SerializeToUtf8Bytes(value, TypeInfo<T>(options ?? Options));

    /// <summary>The generated serializer of <typeparamref name="T"/> in <paramref name="options"/>.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>(JsonSerializerOptions options) => (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T));

    /// <summary>Parses <paramref name="json"/>; a malformed document is an integrity error naming <paramref name="what"/>.</summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> json, string what, JsonSerializerOptions? options = null)
    {
        try
        {
            return JsonSerializer.Deserialize(json, TypeInfo<T>(options ?? Options))
                   ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new BulwarkException(ErrorKind.Integrity, $"{what} is damaged: {e.Message}",
                "run 'bulwark verify' to see what else is affected");
        }
    }
}
