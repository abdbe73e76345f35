using System.Diagnostics;
using Bulwark.Sources.Postgres;

namespace Bulwark.Bench;

/// <summary>
/// A throwaway server with a pgbench database of a given scale (scale 20 ≈ 300 MB, 2 million account rows), shared by
/// the benchmarks of one run.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private BenchDatabase(LocalPostgresServer server, string database, int scale)
    {
        Server = server;
        Database = database;
        Scale = scale;
    }

    public LocalPostgresServer Server { get; }
    public string Database { get; }
    public int Scale { get; }
    public string Url => Server.Url(Database, withPassword: true);
    public PgConnectionSettings Settings => Server.Settings(Database);

    public static async Task<BenchDatabase> CreateAsync(int scale, string? parent = null)
    {
        var server = await LocalPostgresServer.StartAsync(parent, settings: new Dictionary<string, string>
        {
            ["shared_buffers"] = "256MB",
            ["max_connections"] = "100",
        });
        const string database = "bench";
        await Run("psql", server, "postgres", "-q", "-c", $"CREATE DATABASE {database}");
        var watch = Stopwatch.StartNew();
        await Run("pgbench", server, database, "-i", "-q", "-s", scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.Error.WriteLine($"# pgbench -i -s {scale}: {watch.Elapsed.TotalSeconds:0.0} s");
        return new BenchDatabase(server, database, scale);
    }

    /// <summary>Runs a PostgreSQL program against the server with the password in its environment.</summary>
    public static async Task Run(string program, LocalPostgresServer server, string database, params string[] arguments)
    {
        var (path, _) = await new PgTools().FindAsync(program, null, CancellationToken.None);
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in server.Settings(database).ToEnvironment())
        {
            if (v is null) info.Environment.Remove(k); else info.Environment[k] = v;
        }
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{program} failed: {await stderr}");
        await stdout;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
