namespace Bulwark.Sources.Processes;

/// <summary>
/// The one place that decides which of our secrets a program we start inherits. Every program starts from our
/// environment with the secrets taken out; what one needs (the PostgreSQL password for pg_dump) is then given to it
/// explicitly. Repository passphrases never reach a child's environment (a server Bulwark starts for recovery reads
/// one from a private file: <see cref="Postgres.Physical.RecoveryServer"/>).
/// </summary>
public static class ChildEnvironment
{
    /// <summary>The credentials the storage backends read (S3, Azure Blob), and Supabase Storage's key.</summary>
    private static readonly HashSet<string> CloudCredentials = new(StringComparer.OrdinalIgnoreCase)
    {
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
        "AZURE_STORAGE_KEY", "AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_SAS_TOKEN",
        "SUPABASE_STORAGE_ACCESS_KEY_ID", "SUPABASE_STORAGE_SECRET_ACCESS_KEY",
    };

    /// <summary>
    /// A Bulwark passphrase or password variable (BULWARK_PASSWORD, BULWARK_NEW_PASSWORD_FILE, BULWARK_PASSWORD_COMMAND,
    /// any BULWARK_*PASSPHRASE*…): the value, or where to find it.
    /// </summary>
    public static bool IsBulwarkSecret(string name) =>
        name.StartsWith("BULWARK_", StringComparison.OrdinalIgnoreCase) &&
        (name.Contains("PASSWORD", StringComparison.OrdinalIgnoreCase) ||
         name.Contains("PASSPHRASE", StringComparison.OrdinalIgnoreCase));

    public static bool IsCloudCredential(string name) => CloudCredentials.Contains(name);

    public static bool IsPostgresPassword(string name) => string.Equals(name, "PGPASSWORD", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Removes the secrets from <paramref name="environment"/> (a <c>ProcessStartInfo.Environment</c>, which starts as
    /// a copy of ours): Bulwark passphrases always, PGPASSWORD and cloud credentials unless the program needs them.
    /// </summary>
    public static void RemoveSecrets(IDictionary<string, string?> environment, bool keepPostgresPassword = false,
        bool keepCloudCredentials = false)
    {
        foreach (var name in environment.Keys.ToList())
        {
            if (IsBulwarkSecret(name) ||
                (!keepPostgresPassword && IsPostgresPassword(name)) ||
                (!keepCloudCredentials && IsCloudCredential(name)))
                environment.Remove(name);
        }
    }
}
