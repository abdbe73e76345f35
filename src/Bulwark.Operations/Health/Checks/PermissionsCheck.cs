using Bulwark.Storage.Local;

namespace Bulwark.Operations.Health.Checks;

/// <summary>
/// 'permissions': files and folders that other local users can open although they hold secrets or
/// backed-up data — the configuration (webhook URLs, connection details), a passphrase file, a local repository.
/// Only a problem gives a finding (WARNING); Windows is not checked.
/// </summary>
internal sealed class PermissionsCheck : IHealthCheck
{
    private static readonly string[] PassphraseFileVariables = ["BULWARK_PASSWORD_FILE", "BULWARK_NEW_PASSWORD_FILE"];

    public string Name => HealthCheckNames.Permissions;

    public Task<HealthFinding?> RunAsync(HealthCheckContext context, CancellationToken cancellationToken) =>
        Task.FromResult(Find(context.Bulwark, context.LocalRepository));

    private HealthFinding? Find(BulwarkContext context, string? localRepository)
    {
        if (OperatingSystem.IsWindows())
            return null;
        var problems = new List<(string Text, string Fix)>();
        if (context.Config.FilePath is { } config)
            Inspect(problems, "the configuration", config, folder: false);
        foreach (var variable in PassphraseFileVariables)
        {
            if (context.Config.GetEnvironment(variable) is { Length: > 0 } file)
                Inspect(problems, $"the passphrase file ({variable})", file, folder: false);
        }
        if (localRepository is not null)
            Inspect(problems, "the repository", localRepository, folder: true);
        if (problems.Count == 0)
            return null;
        return new HealthFinding
        {
            Check = Name,
            Status = HealthStatus.Warning,
            Summary = string.Join("; ", problems.Select(p => p.Text)),
            Advice = string.Join("; ", problems.Select(p => p.Fix)),
        };
    }

    private static void Inspect(List<(string Text, string Fix)> problems, string what, string path, bool folder)
    {
        UnixFileMode open;
        UnixFileMode mode;
        try
        {
            path = Path.GetFullPath(path);
            open = OwnerOnly.OpenToOthers(path);
            if (open == 0)
                return;
            mode = File.GetUnixFileMode(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // gone, not ours to inspect, or no path: reading it fails where it is used
        }
        var who = (open & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute)) != 0
            ? (open & (UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0 ? "its group and all users" : "its group"
            : "all users";
        problems.Add(($"{what} {path} is open to {who} (mode {Octal(mode)})",
            // -R: objects that older versions wrote inside are open to others as well.
            folder ? $"chmod -R go= {Quote(path)}" : $"chmod 600 {Quote(path)}"));
    }

    private static string Octal(UnixFileMode mode) =>
        Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');

    private static string Quote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_') ? path : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
