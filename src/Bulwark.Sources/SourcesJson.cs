using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Repository.Format;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Supabase;

namespace Bulwark.Sources;

/// <summary>The repository's JSON style (<see cref="RepositoryJson"/>) with this layer's objects.</summary>
public static class SourcesJson
{
    public static IJsonTypeInfoResolver Resolver => SourcesJsonContext.Default;

    public static JsonSerializerOptions Options { get; } = new(RepositoryJson.Options)
    {
        Converters = { new JsonStringEnumConverter<PostgresProfile>(JsonNamingPolicy.KebabCaseLower) },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(SourcesJsonContext.Default, RepositoryJson.Options.TypeInfoResolver),
    };
}

/// <summary>Compile-time serializers of this layer's objects.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SupabasePlatformDocument))]
internal sealed partial class SourcesJsonContext : JsonSerializerContext;
