using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bulwark.Operations.Restore;

/// <summary>Compile-time serializers of what a restore to a data folder prints with --json.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PhysicalRestoreResult))]
public sealed partial class PhysicalJsonContext : JsonSerializerContext;
