using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Operations;

namespace Bulwark.Cli.Infrastructure;

/// <summary>The indented JSON of --json output and the daemon: the operations' style and generated serializers.</summary>
internal static class CliJson
{
    public static JsonSerializerOptions Indented { get; } = new(OperationsJson.Indented)
    {
        TypeInfoResolver = JsonTypeInfoResolver.Combine(CliJsonContext.Default, OperationsJson.Options.TypeInfoResolver),
    };

    public static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T));
}
