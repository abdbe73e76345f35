using System.Text.Json;
using System.Text.Json.Serialization;
using Bulwark.Operations.Copy;
using Bulwark.Operations.Demo;
using Bulwark.Operations.Logging;
using Bulwark.Operations.Restore;
using Bulwark.Operations.Status;
using Bulwark.Versioning.Rulesets;

namespace Bulwark.Cli.Infrastructure;

/// <summary>
/// Compile-time serializers of every --json document and of the daemon's answers: the native build has no reflection
/// serializer, so a document whose type is missing here fails (in every build, so the tests see it).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(JsonOutputs.Failure))]
[JsonSerializable(typeof(JsonOutputs.CheckUnknown))]
[JsonSerializable(typeof(JsonOutputs.Check))]
[JsonSerializable(typeof(JsonOutputs.List))]
[JsonSerializable(typeof(JsonOutputs.Show))]
[JsonSerializable(typeof(JsonOutputs.Backup))]
[JsonSerializable(typeof(JsonOutputs.BackupSources))]
[JsonSerializable(typeof(JsonOutputs.TestRestore))]
[JsonSerializable(typeof(JsonOutputs.Verify))]
[JsonSerializable(typeof(JsonOutputs.ModuleCheck))]
[JsonSerializable(typeof(JsonOutputs.ModuleChecks))]
[JsonSerializable(typeof(JsonOutputs.Unlock))]
[JsonSerializable(typeof(List<JsonOutputs.Key>))]
[JsonSerializable(typeof(JsonOutputs.KeyAdded))]
[JsonSerializable(typeof(JsonOutputs.KeyRemoved))]
[JsonSerializable(typeof(JsonOutputs.Init))]
[JsonSerializable(typeof(JsonOutputs.RulesetVerify))]
[JsonSerializable(typeof(JsonOutputs.RulesetDiff))]
[JsonSerializable(typeof(JsonOutputs.Schedule))]
[JsonSerializable(typeof(JsonOutputs.JobRun))]
[JsonSerializable(typeof(JsonOutputs.ScheduleInstall))]
[JsonSerializable(typeof(JsonOutputs.Cleanup))]
[JsonSerializable(typeof(JsonOutputs.DaemonHealth))]
[JsonSerializable(typeof(IReadOnlyList<RulesetVersionInfo>))]
[JsonSerializable(typeof(IReadOnlyList<RulesetActivationRecord>))]
[JsonSerializable(typeof(RulesetVersionInfo))]
[JsonSerializable(typeof(RulesetActivationRecord))]
[JsonSerializable(typeof(RestoreResult))]
[JsonSerializable(typeof(DemoReport))]
[JsonSerializable(typeof(CopyResult))]
[JsonSerializable(typeof(StatusReport))]
[JsonSerializable(typeof(List<OperationRecord>))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
