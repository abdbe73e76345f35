namespace Bulwark.Sources.Supabase.Storage;

/// <summary>
/// The S3 access key of a project's Storage. It comes only from the environment
/// (SUPABASE_STORAGE_ACCESS_KEY_ID and SUPABASE_STORAGE_SECRET_ACCESS_KEY) or from a key file readable by its owner
/// only, holding the same two NAME=value lines; never from bulwark.yml or the command line.
/// </summary>
public static class SupabaseStorageCredentials
{
    public const string AccessKeyIdVariable = "SUPABASE_STORAGE_ACCESS_KEY_ID";
    public const string SecretAccessKeyVariable = "SUPABASE_STORAGE_SECRET_ACCESS_KEY";

    /// <summary>The key pair: from the environment when either variable is set, else from <paramref name="keyFile"/>.</summary>
    public static (string AccessKeyId, string SecretAccessKey) Resolve(Func<string, string?> environment, string? keyFile)
    {
        var id = NonEmpty(environment(AccessKeyIdVariable));
        var secret = NonEmpty(environment(SecretAccessKeyVariable));
        if (id is null && secret is null && !string.IsNullOrWhiteSpace(keyFile))
            (id, secret) = ReadFile(keyFile);
        if (id is null || secret is null)
            throw new BulwarkException(ErrorKind.Configuration,
                id is null && secret is null
                    ? "no Supabase Storage access key: 'postgres.supabase.storage.endpoint' is set, but neither the environment nor a key file gives the key"
                    : $"only one of {AccessKeyIdVariable} and {SecretAccessKeyVariable} is set",
                $"set {AccessKeyIdVariable} and {SecretAccessKeyVariable} (Project Settings > Storage > S3 access keys), or name a file holding both with 'postgres.supabase.storage.key-file'");
        return (id, secret);
    }

    private static (string? Id, string? Secret) ReadFile(string path)
    {
        string[] lines;
        try
        {
            if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead |
                    UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
                throw new BulwarkException(ErrorKind.Configuration, $"the Supabase Storage key file {path} can be read or written by other users",
                    $"chmod 600 {path}");
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Configuration, $"cannot read the Supabase Storage key file {path}: {e.Message}",
                "check 'postgres.supabase.storage.key-file' and the file's owner");
        }
        string? id = null, secret = null;
        foreach (var line in lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var (name, value) = line.IndexOf('=', StringComparison.Ordinal) is > 0 and var at
                ? (line[..at].Trim(), line[(at + 1)..].Trim().Trim('"'))
                : ("", "");
            if (name == AccessKeyIdVariable)
                id = NonEmpty(value);
            else if (name == SecretAccessKeyVariable)
                secret = NonEmpty(value);
        }
        if (id is null || secret is null)
            throw new BulwarkException(ErrorKind.Configuration, $"the Supabase Storage key file {path} does not hold both keys",
                $"write two lines: {AccessKeyIdVariable}=… and {SecretAccessKeyVariable}=…");
        return (id, secret);
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
