using Bulwark.Repository.Maintenance;

namespace Bulwark.Operations.Retention;

/// <summary>What a cleanup decided (per snapshot, with reasons) and what the garbage collection did.</summary>
public sealed record CleanupResult(RetentionPolicy Policy, RetentionPlan Plan, GarbageCollectionReport Collection,
    string Repository);
