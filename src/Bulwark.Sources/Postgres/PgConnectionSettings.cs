using System.Globalization;
using System.Text;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>
/// Where and how to connect, resolved the way libpq does it: a postgres:// URI or key=value string first, then the
/// service file (PGSERVICE), then the PG* environment variables, then defaults; the password from the string,
/// PGPASSWORD or the password file (PGPASSFILE, ~/.pgpass). The password is never printed: <see cref="ToString"/>
/// and <see cref="Display"/> leave it out, and programs receive it only in their environment.
/// </summary>
public sealed class PgConnectionSettings
{
    private static readonly Dictionary<string, string> EnvironmentNames = new()
    {
        ["host"] = "PGHOST", ["port"] = "PGPORT", ["dbname"] = "PGDATABASE", ["user"] = "PGUSER",
        ["password"] = "PGPASSWORD", ["sslmode"] = "PGSSLMODE", ["sslrootcert"] = "PGSSLROOTCERT",
        ["sslcert"] = "PGSSLCERT", ["sslkey"] = "PGSSLKEY", ["connect_timeout"] = "PGCONNECT_TIMEOUT",
        ["application_name"] = "PGAPPNAME", ["options"] = "PGOPTIONS", ["service"] = "PGSERVICE",
        ["passfile"] = "PGPASSFILE", ["target_session_attrs"] = "PGTARGETSESSIONATTRS", ["gssencmode"] = "PGGSSENCMODE",
    };

    private readonly Dictionary<string, string> _values;

    private PgConnectionSettings(Dictionary<string, string> values)
    {
        _values = values;
    }

    public string Host => _values["host"];
    public int Port => int.Parse(_values["port"], CultureInfo.InvariantCulture);
    public string Database => _values["dbname"];
    public string User => _values["user"];
    public string? Password => _values.GetValueOrDefault("password");
    public string? SslMode => _values.GetValueOrDefault("sslmode");

    /// <summary>"user@host:port/database", without the password.</summary>
    public string Display => $"{User}@{(Host.StartsWith('/') ? Host : Host.Contains(':') ? "[" + Host + "]" : Host)}:{Port}/{Database}";

    public override string ToString() => Display;

    /// <summary>The same server and credentials, another database.</summary>
    public PgConnectionSettings WithDatabase(string database) =>
        new(new Dictionary<string, string>(_values) { ["dbname"] = database });

    /// <summary>
    /// Resolves a connection string (URI or key=value; null or empty uses only the environment and defaults).
    /// <paramref name="environment"/> stands in for the process environment in tests.
    /// </summary>
    public static PgConnectionSettings Resolve(string? connection, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!string.IsNullOrWhiteSpace(connection))
        {
            var parsed = Parse(connection);
            foreach (var (k, v) in parsed)
                values[k] = v;
        }
        foreach (var key in values.Keys)
        {
            if (!EnvironmentNames.ContainsKey(key))
                throw new BulwarkException(ErrorKind.Configuration,
                    $"unknown connection parameter '{key}' in {Redact(connection!)}",
                    "use the libpq parameters: host, port, dbname, user, password, sslmode, sslrootcert, sslcert, sslkey, gssencmode, connect_timeout, application_name, options, service");
        }
        var service = values.GetValueOrDefault("service") ?? environment("PGSERVICE");
        if (!string.IsNullOrEmpty(service))
        {
            foreach (var (k, v) in ServiceFile.Read(service, environment))
                values.TryAdd(k, v);
        }
        foreach (var (key, variable) in EnvironmentNames)
        {
            if (!values.ContainsKey(key) && environment(variable) is { Length: > 0 } fromEnvironment)
                values[key] = fromEnvironment;
        }
        if (!values.ContainsKey("gssencmode") && !KerberosMayBeSetUp(environment, File.Exists, () => KerberosFileCache.Value))
            values["gssencmode"] = "disable";
        values.TryAdd("host", Directory.Exists("/var/run/postgresql") ? "/var/run/postgresql" : "localhost");
        values.TryAdd("port", "5432");
        values.TryAdd("user", Environment.UserName);
        values.TryAdd("dbname", values["user"]);
        if (!int.TryParse(values["port"], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new BulwarkException(ErrorKind.Configuration, $"'{values["port"]}' is not a port number",
                "give a port between 1 and 65535");
        if (!values.ContainsKey("password") &&
            PassFile.Find(values.GetValueOrDefault("passfile"), values["host"], port, values["dbname"], values["user"], environment) is { } password)
            values["password"] = password;
        return new PgConnectionSettings(values);
    }

    /// <summary>Whether /tmp holds a Kerberos file cache (MIT Kerberos' default place for one); looked for once.</summary>
    private static readonly Lazy<bool> KerberosFileCache = new(() =>
    {
        try
        {
            return Directory.EnumerateFiles("/tmp", "krb5cc_*").Any();
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // unreadable: a cache may be there
        }
    });

    /// <summary>
    /// Whether GSSAPI encryption may be had here. libpq's default (gssencmode prefer) tries it only when a Kerberos
    /// credential cache exists, so with no Kerberos set up at all (no KRB5CCNAME, KRB5_CONFIG, /etc/krb5.conf or
    /// /tmp/krb5cc_*) the mode is disable, as libpq would behave; Npgsql's prefer would load the Kerberos libraries and
    /// resolve the host first, 15–25 ms before every connection's first packet. Elsewhere than on Linux nothing is changed.
    /// </summary>
    internal static bool KerberosMayBeSetUp(Func<string, string?> environment, Func<string, bool> fileExists, Func<bool> fileCacheExists) =>
        !OperatingSystem.IsLinux() || !string.IsNullOrEmpty(environment("KRB5CCNAME")) || !string.IsNullOrEmpty(environment("KRB5_CONFIG")) ||
        fileExists("/etc/krb5.conf") || fileCacheExists();

    /// <summary>A connection to this server, not yet open.</summary>
    public NpgsqlConnection CreateConnection() => PgDataSources.CreateConnection(ToNpgsql().ConnectionString);

    /// <summary>Settings for Npgsql.</summary>
    public NpgsqlConnectionStringBuilder ToNpgsql()
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Database = Database,
            Username = User,
            ApplicationName = _values.GetValueOrDefault("application_name") ?? "bulwark",
            Timeout = _values.TryGetValue("connect_timeout", out var timeout) && int.TryParse(timeout, out var seconds) && seconds > 0 ? seconds : 15,
            CommandTimeout = 0,
            Pooling = false,
            Enlist = false,
            NoResetOnClose = true,
        };
        if (Password is not null)
            builder.Password = Password;
        if (SslMode is not null)
            builder.SslMode = SslMode.ToLowerInvariant() switch
            {
                "disable" => Npgsql.SslMode.Disable,
                "allow" => Npgsql.SslMode.Allow,
                "prefer" => Npgsql.SslMode.Prefer,
                "require" => Npgsql.SslMode.Require,
                "verify-ca" => Npgsql.SslMode.VerifyCA,
                "verify-full" => Npgsql.SslMode.VerifyFull,
                _ => throw new BulwarkException(ErrorKind.Configuration, $"unknown sslmode '{SslMode}'",
                    "use disable, allow, prefer, require, verify-ca or verify-full"),
            };
        if (_values.TryGetValue("gssencmode", out var gss))
            builder.GssEncryptionMode = gss.ToLowerInvariant() switch
            {
                "disable" => GssEncryptionMode.Disable,
                "prefer" => GssEncryptionMode.Prefer,
                "require" => GssEncryptionMode.Require,
                _ => throw new BulwarkException(ErrorKind.Configuration, $"unknown gssencmode '{gss}'", "use disable, prefer or require"),
            };
        if (_values.TryGetValue("sslrootcert", out var rootCert))
            builder.RootCertificate = rootCert;
        if (_values.TryGetValue("sslcert", out var cert))
            builder.SslCertificate = cert;
        if (_values.TryGetValue("sslkey", out var key))
            builder.SslKey = key;
        if (_values.TryGetValue("options", out var options))
            builder.Options = options;
        return builder;
    }

    /// <summary>
    /// The environment for a libpq program (pg_dump, pg_restore, psql): every resolved setting as a PG* variable, the
    /// password only there, and the caller's own PG* variables removed so that nothing else decides.
    /// </summary>
    public IReadOnlyDictionary<string, string?> ToEnvironment()
    {
        var environment = new Dictionary<string, string?>();
        foreach (var variable in EnvironmentNames.Values)
            environment[variable] = null;
        environment["PGSERVICEFILE"] = null;
        foreach (var (key, value) in _values)
        {
            if (key is "service" or "passfile")
                continue;
            environment[EnvironmentNames[key]] = value;
        }
        environment["PGAPPNAME"] ??= "bulwark";
        return environment;
    }

    /// <summary>A connection string with its password replaced by "***", safe to print.</summary>
    public static string Redact(string connection)
    {
        if (connection.Contains("://", StringComparison.Ordinal))
        {
            var start = connection.IndexOf("://", StringComparison.Ordinal) + 3;
            var at = connection.LastIndexOf('@');
            var redacted = connection;
            if (at >= start)
            {
                // A password may hold an unencoded '?', '/', '@' or '#': the user information runs to the last '@', and
                // all of it goes when even the user name is unclear.
                var userInfo = connection[start..at];
                var colon = userInfo.IndexOf(':');
                var user = colon >= 0 ? userInfo[..colon] : userInfo;
                var shown = user.AsSpan().IndexOfAny(UnclearUser) >= 0 ? "***" : colon >= 0 ? user + ":***" : user;
                redacted = string.Concat(connection.AsSpan(0, start), shown, connection.AsSpan(at));
            }
            return System.Text.RegularExpressions.Regex.Replace(redacted, "([?&]password=)[^&]*", "$1***",
                System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        }
        return System.Text.RegularExpressions.Regex.Replace(connection, @"(password\s*=\s*)('([^'\\]|\\.)*'|\S+)", "$1***",
            System.Text.RegularExpressions.RegexOptions.IgnoreCase);
    }

    /// <summary>
    /// Whether <paramref name="connection"/> itself holds a password (which then shows in the process list or the
    /// configuration file). A string that does not parse holds none here; resolving it reports the error.
    /// </summary>
    public static bool ContainsPassword(string? connection)
    {
        if (string.IsNullOrWhiteSpace(connection))
            return false;
        try
        {
            var parsed = Parse(connection);
            return parsed.TryGetValue("password", out var password) && password.Length > 0;
        }
        catch (BulwarkException)
        {
            return false;
        }
    }

    private static readonly System.Buffers.SearchValues<char> UnclearUser = System.Buffers.SearchValues.Create("/?#");

    /// <summary>A <c>postgres://</c> URI or a <c>key=value</c> string, as libpq reads them.</summary>
    private static Dictionary<string, string> Parse(string connection) =>
        connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            ? ParseUri(connection)
            : ParseKeyValue(connection);

    private static Dictionary<string, string> ParseUri(string text)
    {
        var values = new Dictionary<string, string>();
        var rest = text[(text.IndexOf("://", StringComparison.Ordinal) + 3)..];
        // The user information ends at the last '@', so that a password with an unencoded '?', '/', '#' or '@' is read
        // whole rather than split into host, path and parameters (an '@' after the host must be written %40).
        var at = rest.LastIndexOf('@');
        if (at >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            var user = colon >= 0 ? userInfo[..colon] : userInfo;
            if (user.Length > 0)
                values["user"] = Uri.UnescapeDataString(user);
            if (colon >= 0)
                values["password"] = Uri.UnescapeDataString(userInfo[(colon + 1)..]);
        }
        var query = "";
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }
        var slash = rest.IndexOf('/');
        var authority = slash >= 0 ? rest[..slash] : rest;
        if (slash >= 0 && rest.Length > slash + 1)
            values["dbname"] = Uri.UnescapeDataString(rest[(slash + 1)..]);
        if (authority.Contains(','))
            throw new BulwarkException(ErrorKind.Configuration, "several hosts in one connection URI are not supported",
                "name one host");
        if (authority.StartsWith('['))
        {
            var end = authority.IndexOf(']');
            if (end < 0)
                throw new BulwarkException(ErrorKind.Configuration, $"malformed host in {Redact(text)}", "write an IPv6 host as [::1]");
            values["host"] = authority[1..end];
            if (end + 1 < authority.Length && authority[end + 1] == ':')
                values["port"] = authority[(end + 2)..];
        }
        else if (authority.Length > 0)
        {
            var colon = authority.LastIndexOf(':');
            if (colon >= 0)
            {
                values["port"] = authority[(colon + 1)..];
                authority = authority[..colon];
            }
            if (authority.Length > 0)
                values["host"] = Uri.UnescapeDataString(authority);
        }
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new BulwarkException(ErrorKind.Configuration, $"malformed parameter '{pair}' in {Redact(text)}",
                    "write parameters as ?key=value&key=value");
            values[Uri.UnescapeDataString(pair[..eq])] = Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        return values;
    }

    private static Dictionary<string, string> ParseKeyValue(string text)
    {
        var values = new Dictionary<string, string>();
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) break;
            var keyStart = i;
            while (i < text.Length && text[i] != '=' && !char.IsWhiteSpace(text[i])) i++;
            var key = text[keyStart..i];
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length || text[i] != '=' || key.Length == 0)
                throw new BulwarkException(ErrorKind.Configuration,
                    $"malformed connection string at character {keyStart + 1}: expected key=value pairs or a postgres:// URI",
                    "e.g. 'host=db.example.com dbname=app user=backup' or 'postgres://backup@db.example.com/app'");
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '\'')
            {
                i++;
                while (i < text.Length && text[i] != '\'')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                if (i >= text.Length)
                    throw new BulwarkException(ErrorKind.Configuration, "unterminated quoted value in connection string",
                        "close the quote");
                i++;
            }
            else
            {
                while (i < text.Length && !char.IsWhiteSpace(text[i]))
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
            }
            values[key] = value.ToString();
        }
        return values;
    }
}
