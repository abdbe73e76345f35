namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>Something a Supabase restore left out (<paramref name="What"/>), and why.</summary>
public sealed record RestoreSkip(string What, string Why);
