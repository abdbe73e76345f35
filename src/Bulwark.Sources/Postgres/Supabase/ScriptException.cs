namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>A statement of the restore script failed (<see cref="Entry"/> names its entry when known).</summary>
internal sealed class ScriptException(string? entry, string message, Exception? inner = null) : Exception(message, inner)
{
    public string? Entry { get; } = entry;
}
