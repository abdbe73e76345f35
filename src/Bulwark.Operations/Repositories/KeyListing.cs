using Bulwark.Repository.Encryption;

namespace Bulwark.Operations.Repositories;

/// <summary>The keys of a repository and the id of the one that opened it.</summary>
public sealed record KeyListing(string Repository, IReadOnlyList<KeyObject> Keys, string CurrentKeyId);
