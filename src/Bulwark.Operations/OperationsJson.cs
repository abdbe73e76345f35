using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Operations.Encryption;
using Bulwark.Operations.Health;
using Bulwark.Operations.Scheduling;
using Bulwark.Repository.Format;
using Bulwark.Sources;
using Bulwark.Storage;
using Bulwark.Versioning;

namespace Bulwark.Operations;

/// <summary>The JSON style of the repository (<see cref="RepositoryJson"/>) for this layer's local files and messages.</summary>
public static class OperationsJson
{
    public static JsonSerializerOptions Options { get; } = new(RepositoryJson.Options)
    {
        // Every enum of the layers below, by name: the generic converters need no code generated at run time.
        Converters =
        {
            new JsonStringEnumConverter<ErrorKind>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<JobOutcome>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<PassphraseRole>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<HealthStatus>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<ListingConsistency>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Sources.Postgres.PostgresProfile>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Versioning.Rulesets.VersionBump>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Versioning.Rulesets.RulesetFileStatus>(JsonNamingPolicy.KebabCaseLower),
            new JsonStringEnumConverter<Versioning.Modules.ModuleChangeKind>(JsonNamingPolicy.KebabCaseLower),
        },
        TypeInfoResolver = JsonTypeInfoResolver.Combine(OperationsJsonContext.Default, VersioningJson.Resolver, SourcesJson.Resolver,
            RepositoryJson.Options.TypeInfoResolver),
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };

    /// <summary>The generated serializer of <typeparamref name="T"/> in <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> TypeInfo<T>() => RepositoryJson.TypeInfo<T>(Options);
}
