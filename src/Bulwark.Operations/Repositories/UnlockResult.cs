using Bulwark.Repository.Locking;

namespace Bulwark.Operations.Repositories;

/// <summary>The locks an unlock removed, and those it kept because they are active.</summary>
public sealed record UnlockResult(IReadOnlyList<LockInfo> Removed, IReadOnlyList<LockInfo> Remaining);
