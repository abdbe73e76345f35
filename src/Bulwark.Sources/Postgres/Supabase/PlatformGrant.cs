namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>One GRANT of the team's on a platform object (<paramref name="Object"/> names it for the summary).</summary>
public sealed record PlatformGrant(string Object, string Sql);
