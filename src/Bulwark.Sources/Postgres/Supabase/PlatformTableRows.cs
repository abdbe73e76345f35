namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>The team's rows restored into one platform table ("auth.users").</summary>
public sealed record PlatformTableRows(string Table, long Rows);
