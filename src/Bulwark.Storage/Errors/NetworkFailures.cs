using System.Net.Sockets;

namespace Bulwark.Storage;

/// <summary>What object-store backends tell apart as "the store could not be reached" (transient) from other failures.</summary>
public static class NetworkFailures
{
    /// <summary>
    /// Why the store could not be reached, from the exception or one inside it; null when the failure is not about the
    /// network. A bare <see cref="IOException"/> is not taken as one: it comes from the data being sent (a source that
    /// failed midway), which no retry mends; a connection that broke is an <see cref="HttpIOException"/> or a
    /// <see cref="SocketException"/>.
    /// </summary>
    public static string? Describe(Exception e)
    {
        ArgumentNullException.ThrowIfNull(e);
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            switch (inner)
            {
                case SocketException socket:
                    return socket.SocketErrorCode switch
                    {
                        SocketError.ConnectionRefused => "connection refused",
                        SocketError.HostNotFound or SocketError.NoData => "host not found",
                        SocketError.TimedOut => "connection timed out",
                        _ => socket.Message,
                    };
                case AggregateException aggregate when aggregate.InnerExceptions.Count > 0:
                    return Describe(aggregate.InnerExceptions[^1]);
                case HttpIOException io:
                    return io.Message;
                case HttpRequestException { InnerException: null } http:
                    return http.Message;
                case TimeoutException or OperationCanceledException:
                    return "the request timed out";
            }
        }
        return null;
    }
}
