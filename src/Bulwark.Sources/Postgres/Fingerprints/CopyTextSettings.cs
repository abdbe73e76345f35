using System.Text;
using Npgsql;

namespace Bulwark.Sources.Postgres.Fingerprints;

/// <summary>
/// Server settings that change the COPY text of some values and that pg_dump does not pin itself (it pins DateStyle,
/// IntervalStyle and extra_float_digits): TimeZone (timestamptz), bytea_output (bytea) and lc_monetary (money). They
/// are read inside the backup's snapshot and pinned when a drill reads a restored database back, so that both sides
/// print the same values the same way even when database or role defaults differ.
/// </summary>
public static class CopyTextSettings
{
    public static IReadOnlyList<string> Names { get; } = ["TimeZone", "bytea_output", "lc_monetary"];

    public static async Task<IReadOnlyDictionary<string, string>> ReadAsync(NpgsqlConnection connection,
        CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand(
            "SELECT current_setting('TimeZone'), current_setting('bytea_output'), current_setting('lc_monetary')", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; i < Names.Count; i++)
                settings[Names[i]] = reader.GetString(i);
        }
        return settings;
    }

    /// <summary>
    /// The value of PGOPTIONS that sets <paramref name="settings"/> for a session ("-c TimeZone=UTC -c …"), appended
    /// to <paramref name="existing"/>. Spaces and backslashes in values are escaped as libpq expects.
    /// </summary>
    public static string ToOptions(IReadOnlyDictionary<string, string> settings, string? existing = null)
    {
        var builder = new StringBuilder(existing ?? "");
        foreach (var (name, value) in settings)
        {
            if (!Names.Contains(name, StringComparer.Ordinal))
                continue;
            if (builder.Length > 0)
                builder.Append(' ');
            builder.Append("-c ").Append(name).Append('=');
            foreach (var c in value)
            {
                if (c is ' ' or '\\')
                    builder.Append('\\');
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
