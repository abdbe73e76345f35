using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Bulwark.Crash;

/// <summary>
/// s3rver from tools/node on a free port of 127.0.0.1, with the bucket "bulwark", the way the tests start it (they
/// use tests/Bulwark.Tests/Infrastructure/S3ServerFixture.cs). Killed with its process tree when disposed.
/// </summary>
public sealed class S3rverServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private S3rverServer(Process process, string directory, S3Target target)
    {
        _process = process;
        _directory = directory;
        Target = target;
    }

    public S3Target Target { get; }

    public static async Task<S3rverServer> StartAsync(string repositoryRoot, string parent, CancellationToken cancellationToken)
    {
        var tool = Path.Combine(repositoryRoot, "tools", "node", "node_modules", ".bin", "s3rver");
        if (!File.Exists(tool))
            throw new FileNotFoundException($"{tool} is missing: run 'npm ci --prefix tools/node' (tools/crash/run does)");
        var directory = Path.Combine(parent, "s3rver");
        Directory.CreateDirectory(directory);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        // s3rver's ListObjectsV2 continuation tokens use DES, which Node 17+ enables only with the legacy provider.
        foreach (var argument in new[] { "--openssl-legacy-provider", tool, "-d", Path.Combine(directory, "data"), "-a", "127.0.0.1",
                     "-p", port.ToString(CultureInfo.InvariantCulture), "--silent", "--configure-bucket", "bulwark" })
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3rverServer(process, directory, new S3Target($"http://127.0.0.1:{port}", "bulwark", "S3RVER", "S3RVER",
            Path.Combine(directory, "data")));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"s3rver exited with {process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken).ConfigureAwait(false);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
        await server.DisposeAsync().ConfigureAwait(false);
        throw new TimeoutException($"s3rver did not listen on port {port} within 60 s");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
