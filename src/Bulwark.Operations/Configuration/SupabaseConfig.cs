namespace Bulwark.Operations.Configuration;

/// <summary>'postgres.supabase': what the supabase profile needs to know about the platform (docs/supabase.md).</summary>
public sealed class SupabaseConfig
{
    /// <summary>Replaces the built-in lists of the platform's schemas, reserved roles and bookkeeping tables.</summary>
    public SupabasePlatformConfig Platform { get; set; } = new();
}
