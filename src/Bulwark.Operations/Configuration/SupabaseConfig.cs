namespace Bulwark.Operations.Configuration;

/// <summary>What a backup of a Supabase project adds to the database ('postgres.supabase').</summary>
public sealed class SupabaseConfig
{
    public SupabaseStorageConfig Storage { get; set; } = new();
}
