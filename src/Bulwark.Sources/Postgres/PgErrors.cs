using System.Net.Sockets;
using Npgsql;

namespace Bulwark.Sources.Postgres;

/// <summary>Turns connection failures into one-line errors that say what to do; SQLSTATE is kept in the message.</summary>
public static class PgErrors
{
    public static BulwarkException Translate(Exception e, PgConnectionSettings settings, string doing)
    {
        var where = settings.Display;
        switch (e)
        {
            case PostgresException pg when pg.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification:
                return new BulwarkException(ErrorKind.SourceUnavailable,
                    $"{doing} {where}: the server refused the credentials ({pg.SqlState}: {pg.MessageText})",
                    "check the user and the password (PGPASSWORD, ~/.pgpass, or the connection URL)", e);
            case PostgresException pg when pg.SqlState == PostgresErrorCodes.InvalidCatalogName:
                return new BulwarkException(ErrorKind.SourceUnavailable,
                    $"{doing} {where}: database \"{settings.Database}\" does not exist",
                    "check the database name", e);
            case PostgresException pg when pg.SqlState is PostgresErrorCodes.TooManyConnections or PostgresErrorCodes.CannotConnectNow:
                return new BulwarkException(ErrorKind.SourceUnavailable,
                    $"{doing} {where}: the server does not accept connections now ({pg.SqlState}: {pg.MessageText})",
                    "try again later");
            case PostgresException pg:
                return new BulwarkException(ErrorKind.Failed, $"{doing} {where} failed ({pg.SqlState}: {pg.MessageText})", null, e);
            case NpgsqlException { InnerException: SocketException socket }:
                return new BulwarkException(ErrorKind.SourceUnavailable,
                    $"{doing} {where}: cannot connect ({socket.Message})",
                    "check that the server is running and that host and port are right", e);
            case NpgsqlException { InnerException: TimeoutException } or TimeoutException:
                return new BulwarkException(ErrorKind.SourceUnavailable, $"{doing} {where}: the connection timed out",
                    "check the host, the port and any firewall between here and the server", e);
            case NpgsqlException npgsql when npgsql.Message.Contains("password", StringComparison.OrdinalIgnoreCase):
                return new BulwarkException(ErrorKind.SourceUnavailable, $"{doing} {where}: {npgsql.Message}",
                    "give the password through PGPASSWORD, ~/.pgpass or the connection URL", e);
            case NpgsqlException npgsql:
                return new BulwarkException(ErrorKind.SourceUnavailable, $"{doing} {where}: {npgsql.Message}",
                    "check the connection settings", e);
            case BulwarkException bulwark:
                return bulwark;
            default:
                return new BulwarkException(ErrorKind.Failed, $"{doing} {where}: {e.Message}", null, e);
        }
    }

    /// <summary>Opens a connection, translating failures.</summary>
    public static async Task<NpgsqlConnection> OpenAsync(PgConnectionSettings settings, string doing,
        CancellationToken cancellationToken)
    {
        var connection = settings.CreateConnection();
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or SocketException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw Translate(e, settings, doing);
        }
    }
}
