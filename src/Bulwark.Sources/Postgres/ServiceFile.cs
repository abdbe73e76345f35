namespace Bulwark.Sources.Postgres;

/// <summary>The libpq connection service file: PGSERVICEFILE or ~/.pg_service.conf, then PGSYSCONFDIR/pg_service.conf.</summary>
internal static class ServiceFile
{
    public static Dictionary<string, string> Read(string service, Func<string, string?> environment)
    {
        var candidates = new List<string>();
        if (environment("PGSERVICEFILE") is { Length: > 0 } explicitFile)
            candidates.Add(explicitFile);
        else if ((environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile)) is { Length: > 0 } home)
            candidates.Add(Path.Combine(home, ".pg_service.conf"));
        candidates.Add(Path.Combine(environment("PGSYSCONFDIR") ?? "/etc/postgresql-common", "pg_service.conf"));
        foreach (var file in candidates.Where(File.Exists))
        {
            var values = new Dictionary<string, string>();
            string? section = null;
            var lineNumber = 0;
            foreach (var raw in File.ReadLines(file))
            {
                lineNumber++;
                var line = raw.Trim();
                if (line.Length == 0 || line[0] is '#' or ';')
                    continue;
                if (line[0] == '[' && line[^1] == ']')
                {
                    if (section == service)
                        break;
                    section = line[1..^1];
                    continue;
                }
                if (section != service)
                    continue;
                var eq = line.IndexOf('=');
                if (eq <= 0)
                    throw new BulwarkException(ErrorKind.Configuration,
                        $"{file}:{lineNumber}: expected key=value in service '{service}'", "fix the service file");
                values[line[..eq].Trim()] = line[(eq + 1)..].Trim();
            }
            if (section == service)
                return values;
        }
        throw new BulwarkException(ErrorKind.Configuration, $"service '{service}' is not defined in {string.Join(" or ", candidates)}",
            "define it in ~/.pg_service.conf or unset PGSERVICE");
    }
}
