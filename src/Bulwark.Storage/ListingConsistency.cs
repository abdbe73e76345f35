namespace Bulwark.Storage;

/// <summary>How soon a listing reflects completed puts and deletes.</summary>
public enum ListingConsistency
{
    /// <summary>A listing shows every put and delete that completed before it started.</summary>
    Strong,

    /// <summary>A listing may miss recent puts or still show recent deletes for a while.</summary>
    Eventual,
}
