namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>One way a restored database differs from its backup: the object ("table public.accounts") and how.</summary>
public sealed record FingerprintDifference(string Object, string Problem)
{
    public override string ToString() => $"{Object}: {Problem}";
}
