using Bulwark.Sources.Postgres;
using Bulwark.Sources.Processes;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A database with the things a drill must get right: two schemas, serial and identity sequences, primary, unique,
/// foreign key and check constraints, an index, a view, a materialized view, a function and a trigger, values whose
/// text depends on settings (timestamptz, bytea, money, floats, intervals), duplicate and empty rows, an empty table,
/// a table without columns, a large object.
/// </summary>
public static class SampleDatabase
{
    public const string Schema = """
        CREATE SCHEMA shop;
        CREATE TABLE shop.customers (
            id serial PRIMARY KEY,
            name text NOT NULL,
            email text UNIQUE,
            created timestamptz NOT NULL DEFAULT '2024-03-01 12:00:00+00',
            balance numeric(12,2) NOT NULL DEFAULT 0 CHECK (balance >= 0),
            photo bytea,
            credit money,
            score float8,
            wait interval,
            tags text[],
            data jsonb);
        CREATE TABLE shop.orders (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            customer_id int NOT NULL REFERENCES shop.customers (id),
            total numeric(12,2) NOT NULL,
            note text);
        CREATE INDEX orders_customer_idx ON shop.orders (customer_id);
        CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
        CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN NEW.note := coalesce(NEW.note, ''); RETURN NEW; END$$;
        CREATE TRIGGER orders_touch BEFORE INSERT ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch();
        CREATE TABLE public.dups (v text);
        CREATE TABLE public.empty_table (x int);
        CREATE TABLE public.no_columns ();
        CREATE MATERIALIZED VIEW public.customer_totals AS
            SELECT customer_id, sum(total) AS total FROM shop.orders GROUP BY customer_id;
        """;

    public const string Rows = """
        INSERT INTO shop.customers (name, email, balance, photo, credit, score, wait, tags, data)
        SELECT 'customer ' || g, 'c' || g || '@example.com', g * 1.5, decode(md5(g::text), 'hex'), g * 2.25,
               g / 7.0, make_interval(hours => g), ARRAY['a' || g, 'b'], jsonb_build_object('n', g, 'tab', E'x\ty')
        FROM generate_series(1, 300) g;
        INSERT INTO shop.customers (name, email, created) VALUES (E'line\nbreak and back\\slash', NULL, '1999-12-31 23:59:59.123456+05:30');
        INSERT INTO shop.orders (customer_id, total, note)
        SELECT 1 + g % 300, (g % 250) + 0.99, CASE WHEN g % 3 = 0 THEN NULL ELSE 'order ' || g END
        FROM generate_series(1, 2000) g;
        INSERT INTO public.dups VALUES ('same'), ('same'), (''), (''), (NULL);
        INSERT INTO public.no_columns DEFAULT VALUES;
        INSERT INTO public.no_columns DEFAULT VALUES;
        REFRESH MATERIALIZED VIEW public.customer_totals;
        SELECT lo_from_bytea(0, 'a large object');
        """;

    public static async Task<string> CreateAsync(PostgresFixture pg, string prefix = "sample")
    {
        var database = await pg.CreateDatabaseAsync(prefix);
        await pg.ExecuteAsync(database, Schema + Rows);
        return database;
    }

    /// <summary>pg_dump --format=custom --compress=0 (or other arguments) of a database, in memory.</summary>
    public static async Task<byte[]> DumpAsync(PgConnectionSettings settings, params string[] arguments)
    {
        var (pgDump, _) = await new PgTools().FindAsync("pg_dump", null, CancellationToken.None);
        await using var run = ProcessRunner.Start(pgDump, arguments.Length == 0 ? ["--format=custom", "--compress=0"] : arguments,
            settings.ToEnvironment(), redirectInput: false, redirectOutput: true, CancellationToken.None);
        using var memory = new MemoryStream();
        await run.StandardOutput.CopyToAsync(memory);
        Assert.Equal(0, await run.WaitAsync());
        return memory.ToArray();
    }
}
