namespace Bulwark.Repository.Locking;

/// <summary>
/// Shared: backups, restores, verification — any number at once. Prune: garbage collection — one at a time, and it
/// may run beside shared locks (it spares what running backups may still reference). Exclusive: alone.
/// </summary>
public enum LockMode
{
    Shared,
    Prune,
    Exclusive,
}
