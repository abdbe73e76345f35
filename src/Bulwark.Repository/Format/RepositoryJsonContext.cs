using System.Text.Json;
using System.Text.Json.Serialization;
using Bulwark.Repository.Encryption;
using Bulwark.Repository.Locking;
using Bulwark.Repository.Maintenance;
using Bulwark.Repository.Snapshots;

namespace Bulwark.Repository.Format;

/// <summary>
/// Compile-time serializers of the repository's objects: the reflection serializer costs tens of milliseconds on
/// first use, most of a short command such as check or list. Must keep the style of <see cref="RepositoryJson"/>.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RepositoryConfig))]
[JsonSerializable(typeof(SnapshotManifest))]
[JsonSerializable(typeof(LockInfo))]
[JsonSerializable(typeof(KeyObject))]
[JsonSerializable(typeof(ProofRecord))]
[JsonSerializable(typeof(ForgottenRecord))]
[JsonSerializable(typeof(SweepRecord))]
internal sealed partial class RepositoryJsonContext : JsonSerializerContext;
