namespace Bulwark.Repository.Locking;

/// <summary>The content of a lock object.</summary>
public sealed record LockInfo
{
    public required string Id { get; init; }
    public required LockMode Mode { get; init; }
    public required string Operation { get; init; }
    public required string Host { get; init; }
    public required int ProcessId { get; init; }
    public string? User { get; init; }
    public required DateTimeOffset Created { get; init; }
    public required DateTimeOffset Refreshed { get; init; }

    /// <summary>
    /// What the holder acts on alone, beside the repository-wide mode (e.g. "backup:app", one source's backup): two
    /// live locks of one scope conflict whatever their modes. Null for none.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>
    /// Set only on what <see cref="RepositoryLock.ListAsync"/> reports for a lock object it cannot read (never
    /// written): why. Such a lock counts as shared, created and refreshed at its object's time; see
    /// <see cref="RepositoryLock"/>.
    /// </summary>
    public string? Damage { get; init; }

    /// <summary>One line about the lock; <paramref name="objectName"/> names an unreadable one kept outside locks/.</summary>
    public string Describe(string? objectName = null) => Damage is not null
        ? $"unreadable lock object {objectName ?? RepositoryLock.ObjectName(Id)} written {Created:u} ({Damage})"
        : $"{Operation} ({Mode.ToString().ToLowerInvariant()}) by process {ProcessId} on {Host}{(User is null ? "" : " as " + User)} since {Created:u}";
}
