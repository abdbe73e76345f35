using System.Net;
using System.Security.Cryptography;
using System.Text;
using Bulwark.Operations;
using Microsoft.AspNetCore.Http;

namespace Bulwark.Cli.Daemon.Dashboard;

/// <summary>
/// Who may read what the daemon serves. Without a token: anyone who can reach the address, which must then be a
/// loopback one. With a token (daemon.token-file): a request carries it as "Authorization: Bearer TOKEN" or as the
/// cookie that the one-time login link printed at start sets. Every response gets headers that forbid framing,
/// sniffing, referrers and any script or style not served by the daemon itself.
/// </summary>
internal sealed class DashboardAccess
{
    public const string CookieName = "bulwark_token";
    public const string LoginPath = "/login";

    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private readonly byte[]? _token;
    private readonly Lock _gate = new();
    private string? _loginCode;

    private DashboardAccess(string? token)
    {
        _token = token is null ? null : Encoding.UTF8.GetBytes(token);
        _loginCode = token is null ? null : Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
    }

    public bool RequiresToken => _token is not null;

    /// <summary>The one-time login code (null without a token, or once used).</summary>
    public string? LoginCode
    {
        get
        {
            lock (_gate)
                return _loginCode;
        }
    }

    /// <summary>Reads the token file; refuses a listen address other than loopback without one.</summary>
    public static DashboardAccess Create(string? tokenFile, IPEndPoint? listen, Func<string, string> resolvePath)
    {
        if (string.IsNullOrWhiteSpace(tokenFile))
        {
            if (listen is not null && !IPAddress.IsLoopback(listen.Address))
                throw new BulwarkException(ErrorKind.Configuration,
                    $"refusing to listen on {listen} without 'daemon.token-file': the dashboard would be readable by anyone who can reach it",
                    "listen on 127.0.0.1 (the default), or write a long random token to a file readable only by this user " +
                    "(e.g. 'openssl rand -hex 32 > daemon.token; chmod 600 daemon.token') and set 'daemon.token-file: daemon.token'");
            return new DashboardAccess(null);
        }
        var path = resolvePath(tokenFile);
        string token;
        try
        {
            token = File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BulwarkException(ErrorKind.Configuration, $"cannot read daemon.token-file {path}: {e.Message}",
                "create it with a long random token, e.g. 'openssl rand -hex 32 > daemon.token; chmod 600 daemon.token'");
        }
        if (token.Length < 16 || token.Any(char.IsWhiteSpace))
            throw new BulwarkException(ErrorKind.Configuration, $"daemon.token-file {path} holds no usable token (at least 16 characters, no spaces)",
                "e.g. 'openssl rand -hex 32 > daemon.token'");
        return new DashboardAccess(token);
    }

    /// <summary>Security headers on every response, then the token check; the login link sets the cookie once.</summary>
    public async Task HandleAsync(HttpContext http, RequestDelegate next)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            headers.Allow = "GET, HEAD";
            return;
        }
        if (_token is null)
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        if (http.Request.Path == LoginPath)
        {
            if (TryUseLoginCode(http.Request.Query["code"].ToString()))
            {
                http.Response.Cookies.Append(CookieName, Encoding.UTF8.GetString(_token), new CookieOptions
                {
                    HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/", Secure = http.Request.IsHttps, IsEssential = true,
                });
                http.Response.Redirect("/");
                return;
            }
            await Refuse(http, "this login link was used already or is wrong; restart the daemon for a new one, or send the token").ConfigureAwait(false);
            return;
        }
        if (Carries(http.Request))
        {
            await next(http).ConfigureAwait(false);
            return;
        }
        await Refuse(http, "a token is required: send 'Authorization: Bearer TOKEN' (the content of daemon.token-file) or open the login link printed at start").ConfigureAwait(false);
    }

    private bool Carries(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && Matches(authorization["Bearer ".Length..].Trim()))
            return true;
        return request.Cookies.TryGetValue(CookieName, out var cookie) && Matches(cookie);
    }

    private bool Matches(string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);

    private bool TryUseLoginCode(string presented)
    {
        lock (_gate)
        {
            if (_loginCode is null || !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(_loginCode)))
                return false;
            _loginCode = null;
            return true;
        }
    }

    private static Task Refuse(HttpContext http, string message)
    {
        http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        http.Response.Headers.WWWAuthenticate = "Bearer realm=\"bulwark\"";
        http.Response.ContentType = "text/plain; charset=utf-8";
        return http.Response.WriteAsync(message + "\n", http.RequestAborted);
    }
}
