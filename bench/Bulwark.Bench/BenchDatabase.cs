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

    /// <summary>
    /// A second database on the same server with data shaped like an application's (ids, hex references, amounts,
    /// timestamps, free text), which compresses like real data; pgbench's blank-padded rows compress a hundredfold.
    /// About 100 MB of dump per 10 of scale.
    /// </summary>
    public async Task<BenchDatabase> CreateMixedAsync()
    {
        const string name = "mixed";
        await Run("psql", Server, "postgres", "-q", "-c", $"CREATE DATABASE {name}");
        var rows = (Scale * 50_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Run("psql", Server, name, "-q", "-c", $"""
            CREATE TABLE orders AS
            SELECT g AS id, md5(g::text) AS reference, (g % 100000) AS customer, round((random() * 1000)::numeric, 2) AS amount,
                   timestamptz '2026-01-01' + g * interval '17 seconds' AS placed_at,
                   (ARRAY['new','paid','shipped','returned'])[1 + g % 4] AS status,
                   'order ' || g || ' for customer ' || (g % 100000) || ': ' || md5((g * 31)::text) || ' ' || md5((g * 17)::text) AS note
            FROM generate_series(1, {rows}) g;
            ALTER TABLE orders ADD PRIMARY KEY (id);
            """);
        return new BenchDatabase(Server, name, Scale) { OwnsServer = false };
    }

    private bool OwnsServer { get; init; } = true;

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

    public ValueTask DisposeAsync() => OwnsServer ? Server.DisposeAsync() : ValueTask.CompletedTask;
}
