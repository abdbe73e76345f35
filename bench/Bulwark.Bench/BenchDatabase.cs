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

    /// <param name="pgbench">False: only the server, for <see cref="MixedAsync"/>.</param>
    public static async Task<BenchDatabase> CreateAsync(int scale, string? parent = null, bool pgbench = true)
    {
        var server = await LocalPostgresServer.StartAsync(parent, settings: new Dictionary<string, string>
        {
            ["shared_buffers"] = "256MB",
            ["max_connections"] = "100",
        });
        const string database = "bench";
        if (!pgbench)
            return new BenchDatabase(server, database, scale);
        await Run("psql", server, "postgres", "-q", "-c", $"CREATE DATABASE {database}");
        var watch = Stopwatch.StartNew();
        await Run("pgbench", server, database, "-i", "-q", "-s", scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Console.Error.WriteLine($"# pgbench -i -s {scale}: {watch.Elapsed.TotalSeconds:0.0} s");
        return new BenchDatabase(server, database, scale);
    }

    /// <summary>
    /// The benchmark database: pgbench at the same scale plus an application-like table (ids, hex references,
    /// amounts, timestamps, free text and a jsonb document per row), which compresses like real data where pgbench's
    /// blank-padded rows compress a hundredfold. About 200 MB of pgbench dump plus 90 MB of table per 20 of scale.
    /// </summary>
    public async Task<BenchDatabase> MixedAsync() => _mixed ??= await CreateMixedAsync();

    private BenchDatabase? _mixed;

    private async Task<BenchDatabase> CreateMixedAsync()
    {
        const string name = "mixed";
        await Run("psql", Server, "postgres", "-q", "-c", $"CREATE DATABASE {name}");
        await Run("pgbench", Server, name, "-i", "-q", "-s", Scale.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var rows = (Scale * 20_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Run("psql", Server, name, "-q", "-c", $"""
            CREATE TABLE orders AS
            SELECT g AS id, md5(g::text) AS reference, (g % 100000) AS customer, round((random() * 1000)::numeric, 2) AS amount,
                   timestamptz '2026-01-01' + g * interval '17 seconds' AS placed_at,
                   (ARRAY['new','paid','shipped','returned'])[1 + g % 4] AS status,
                   'order ' || g || ' for customer ' || (g % 100000) || ': ' || md5((g * 31)::text) || ' ' || md5((g * 17)::text) AS note,
                   jsonb_build_object('channel', (ARRAY['web','app','store'])[1 + g % 3], 'coupon', md5((g * 7)::text),
                       'items', jsonb_build_array(
                           jsonb_build_object('sku', 'SKU-' || (g % 9973), 'qty', 1 + g % 5, 'price', round((random() * 100)::numeric, 2)),
                           jsonb_build_object('sku', 'SKU-' || (g % 7919), 'qty', 1 + g % 3, 'price', round((random() * 100)::numeric, 2))),
                       'shipping', jsonb_build_object('city', 'City ' || (g % 500), 'zip', lpad((g % 99999)::text, 5, '0'))) AS details
            FROM generate_series(1, {rows}) g;
            ALTER TABLE orders ADD PRIMARY KEY (id);
            """);
        // Hint bits set now, not by whichever contender reads the table first.
        await Run("psql", Server, name, "-q", "-c", "VACUUM ANALYZE orders");
        return new BenchDatabase(Server, name, Scale) { OwnsServer = false };
    }

    private bool OwnsServer { get; init; } = true;

    /// <summary>Runs a PostgreSQL program against the server with the password in its environment.</summary>
    public static async Task Run(string program, LocalPostgresServer server, string database, params string[] arguments)
    {
        var (path, _) = await new PgTools().FindAsync(program, null, CancellationToken.None);
        await Capture(path, server, database, arguments);
    }

    /// <summary>Runs the program at <paramref name="path"/> against the server (password in its environment); its standard output.</summary>
    public static async Task<string> Capture(string path, LocalPostgresServer server, string database, params string[] arguments)
    {
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
            throw new InvalidOperationException($"{Path.GetFileName(path)} failed: {await stderr}");
        return await stdout;
    }

    public ValueTask DisposeAsync() => OwnsServer ? Server.DisposeAsync() : ValueTask.CompletedTask;
}
