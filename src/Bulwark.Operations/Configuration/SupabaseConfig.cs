namespace Bulwark.Operations.Configuration;

/// <summary>
/// 'postgres.supabase': what the supabase profile needs to know about the platform, and the Storage files a backup of
/// the project adds to the database (docs/supabase.md).
/// </summary>
public sealed class SupabaseConfig
{
    /// <summary>Replaces the built-in lists of the platform's schemas, reserved roles and bookkeeping tables.</summary>
    public SupabasePlatformConfig Platform { get; set; } = new();

    public SupabaseStorageConfig Storage { get; set; } = new();
}
