using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Repository.Format;
using Bulwark.Versioning.Modules;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Versioning;

/// <summary>The repository's JSON style (<see cref="RepositoryJson"/>) with this layer's events.</summary>
public static class VersioningJson
{
    public static IJsonTypeInfoResolver Resolver => VersioningJsonContext.Default;

    public static JsonSerializerOptions Options { get; } = new(RepositoryJson.Options)
    {
        Converters =
        {
            new JsonStringEnumConverter<VersionBump>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<RulesetFileStatus>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<ModuleChangeKind>(JsonNamingPolicy.KebabCaseLower),
        },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(VersioningJsonContext.Default, RepositoryJson.Options.TypeInfoResolver),
    };
}

/// <summary>Compile-time serializers of this layer's events.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RulesetVersionRecord))]
[JsonSerializable(typeof(RulesetActivationRecord))]
internal sealed partial class VersioningJsonContext : JsonSerializerContext;
