using System.Security.Cryptography;
using System.Text;
using Bulwark.Sources.Postgres;

namespace Bulwark.Operations.Scheduling;

/// <summary>
/// What a job acts on: the repository location (without secrets) and the database. Job states and job locks are
/// kept per scope (STATE/jobs/KEY/), so that configurations sharing a state folder (the default one, used by every
/// '--repo' without a configuration file) neither see nor block each other's jobs. The location, not the repository
/// id, picks the folder: a job must find its state before it can open (unlock) the repository, and when it cannot.
/// </summary>
public sealed record JobScope(string? Repository, string? Database)
{
    /// <summary>The scope of <paramref name="context"/>'s repository and database.</summary>
    public static JobScope Of(BulwarkContext context)
    {
        string? repository;
        try
        {
            repository = context.RepositoryDisplay;
        }
        catch (BulwarkException)
        {
            repository = null;
        }
        // From the configured URL alone: the environment (PGHOST, PGDATABASE, ...) of a crontab line and of a shell
        // differ, and both must find the same state. No URL is one scope per repository.
        string? database = null;
        // With 'sources:', one scope for all of them: their jobs are told apart by name (backup.NAME).
        if (context.Settings.Sources.Count == 0 && !string.IsNullOrWhiteSpace(context.Settings.Postgres.Url))
        {
            try
            {
                var source = PgConnectionSettings.Resolve(context.Settings.Postgres.Url, _ => null);
                database = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{source.Host}:{source.Port}/{source.Database}");
            }
            catch (BulwarkException)
            {
                database = null;
            }
        }
        return new JobScope(repository, database);
    }

    /// <summary>A folder name: 16 hex digits of SHA-256 of the location and the database.</summary>
    public string Key => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{Repository}\n{Database}")))[..16];
}
