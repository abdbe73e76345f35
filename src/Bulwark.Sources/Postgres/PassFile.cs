namespace Bulwark.Sources.Postgres;

/// <summary>
/// The libpq password file (~/.pgpass or PGPASSFILE): lines "host:port:database:user:password", '*' matching anything,
/// '\' escaping ':' and '\'. Like libpq, a file readable by group or others is ignored.
/// </summary>
internal static class PassFile
{
    public static string? Find(string? path, string host, int port, string database, string user,
        Func<string, string?> environment)
    {
        path ??= environment("PGPASSFILE");
        if (string.IsNullOrEmpty(path))
        {
            var home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home))
                return null;
            path = Path.Combine(home, ".pgpass");
        }
        if (!File.Exists(path))
            return null;
        if (!OperatingSystem.IsWindows() &&
            (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                                           UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
            return null;
        // libpq matches a socket connection against "localhost" too.
        var hostNames = host.StartsWith('/') ? new[] { host, "localhost" } : new[] { host };
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var fields = Split(line);
            if (fields.Count < 5)
                continue;
            if ((fields[0] == "*" || hostNames.Contains(fields[0])) &&
                (fields[1] == "*" || fields[1] == port.ToString(System.Globalization.CultureInfo.InvariantCulture)) &&
                (fields[2] == "*" || fields[2] == database) &&
                (fields[3] == "*" || fields[3] == user))
                return fields[4];
        }
        return null;
    }

    private static List<string> Split(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
                current.Append(line[++i]);
            else if (c == ':' && fields.Count < 4)
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
                current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }
}
