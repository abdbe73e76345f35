using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Repository.Format;

namespace Bulwark.Operations;

/// <summary>The JSON style of the repository (<see cref="RepositoryJson"/>) for this layer's local files and messages.</summary>
public static class OperationsJson
{
    public static JsonSerializerOptions Options { get; } = new(RepositoryJson.Options)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(OperationsJsonContext.Default, RepositoryJson.Options.TypeInfoResolver),
    };

    public static JsonSerializerOptions Indented { get; } = new(Options) { WriteIndented = true };
}
