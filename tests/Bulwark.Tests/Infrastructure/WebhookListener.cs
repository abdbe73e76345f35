using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bulwark.Tests.Infrastructure;

/// <summary>A real HTTP server on 127.0.0.1 (HttpListener) that records what webhooks post to it.</summary>
public sealed class WebhookListener : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public WebhookListener()
    {
        // A free port: bind to 0, read it, release it (HttpListener cannot bind to 0 itself).
        for (var attempt = 0; ; attempt++)
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
            }
        }
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }

    /// <summary>A URL under this server, with a secret in it, as webhook URLs have.</summary>
    public string Url(string path = "hook/T0KEN-abc123") => $"http://127.0.0.1:{Port}/{path}";

    /// <summary>The status code of the next responses.</summary>
    public int StatusCode { get; set; } = 200;

    public ConcurrentQueue<(string Path, string ContentType, string Body)> Requests { get; } = new();

    public async Task<(string Path, string ContentType, string Body)> NextAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (Requests.TryDequeue(out var request))
                return request;
            await Task.Delay(10);
        }
        throw new TimeoutException("no request arrived");
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            Requests.Enqueue((context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", body));
            context.Response.StatusCode = StatusCode;
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        // Close alone: after Stop, Close removes the prefixes a second time, and the managed listener binds the port
        // anew to do so, which fails ("Address already in use") once another test's server has taken the port.
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
