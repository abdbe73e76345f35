using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bulwark.Repository.Format;

namespace Bulwark.Tests.Infrastructure;

/// <summary>The repository's JSON style with the reflection serializer, for ad-hoc records that only tests write.</summary>
public static class TestJson
{
    public static JsonSerializerOptions Reflection { get; } = new(RepositoryJson.Options)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };
}
