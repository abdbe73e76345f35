using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A server the tests start themselves (s3rver, Azurite) from tools/node, listening on a free port of 127.0.0.1,
/// killed with its process tree when disposed.
/// </summary>
public sealed class TestServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private TestServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The repository's root folder (where Bulwark.slnx is).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Bulwark.slnx")))
                    return dir.FullName;
            }
            throw new InvalidOperationException("cannot find the repository root (Bulwark.slnx) above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A program of tools/node/node_modules/.bin, or a clear failure saying how to install it.</summary>
    public static string NodeTool(string name)
    {
        var path = Path.Combine(RepositoryRoot, "tools", "node", "node_modules", ".bin", name);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: run 'npm ci' in tools/node (./test and .ci/run do it)");
        return path;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <paramref name="tool"/> (from tools/node) and waits until <paramref name="port"/> accepts connections.</summary>
    public static async Task<TestServerProcess> StartAsync(string tool, IEnumerable<string> arguments, int port,
        string workingDirectory, IEnumerable<string>? nodeOptions = null)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var option in nodeOptions ?? [])
            info.ArgumentList.Add(option);
        info.ArgumentList.Add(NodeTool(tool));
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {tool}");
        var server = new TestServerProcess(process, port);
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {server.Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }
        await server.DisposeAsync();
        throw new TimeoutException($"{tool} did not listen on port {port} within 60 s: {server.Output}");
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            if (_output.Length < 64_000)
                _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
        }
        catch (TimeoutException)
        {
        }
        _process.Dispose();
    }
}
