using System.Text.Json;
using System.Text.Json.Serialization;
using Bulwark.Operations.Alerts;
using Bulwark.Operations.Catalog;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Scheduling;

namespace Bulwark.Operations;

/// <summary>Compile-time serializers of the files check and status read on every run (see RepositoryJsonContext).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(OperationRecord))]
[JsonSerializable(typeof(SnapshotSummary))]
[JsonSerializable(typeof(SnapshotCatalog.CachedProof))]
[JsonSerializable(typeof(JobState))]
[JsonSerializable(typeof(AlertState))]
[JsonSerializable(typeof(Alert))]
[JsonSerializable(typeof(Wal.WalPushResult))]
[JsonSerializable(typeof(Wal.WalFetchResult))]
[JsonSerializable(typeof(Wal.WalCleanup))]
[JsonSerializable(typeof(Wal.PitrWindow))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Retention.CleanupRecord))]
internal sealed partial class OperationsJsonContext : JsonSerializerContext;
