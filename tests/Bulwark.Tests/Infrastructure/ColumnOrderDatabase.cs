namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// A database with tables whose column order any dump and restore changes (plain pg_dump and pg_restore too): a
/// restore creates a child table with its inherited columns first, in its parent's order. With rows in every table.
/// </summary>
public static class ColumnOrderDatabase
{
    public static string Sql => """
        -- An inheritance child whose parent gained a column after the child was created: the child has it last.
        CREATE TABLE public.people (id int PRIMARY KEY, name text NOT NULL);
        CREATE TABLE public.staff (badge text) INHERITS (public.people);
        ALTER TABLE public.people ADD COLUMN email text;
        -- A table that joined its parent later: all its columns are its own, in its own order.
        CREATE TABLE public.contractors (company text, email text, name text NOT NULL, id int NOT NULL);
        ALTER TABLE public.contractors INHERIT public.people;
        -- A typed table, and a child of it whose type gained an attribute.
        CREATE TYPE public.address AS (street text, city text);
        CREATE TABLE public.addresses OF public.address (PRIMARY KEY (street));
        CREATE TABLE public.shipping_addresses (note text) INHERITS (public.addresses);
        ALTER TYPE public.address ADD ATTRIBUTE zip text CASCADE;
        -- Generated columns with inheritance.
        CREATE TABLE public.readings (id int, raw int, doubled int GENERATED ALWAYS AS (raw * 2) STORED);
        CREATE TABLE public.sensor_readings (sensor text) INHERITS (public.readings);
        ALTER TABLE public.readings ADD COLUMN unit text;
        CREATE TABLE public.late_readings (unit text, doubled int GENERATED ALWAYS AS (raw * 2) STORED, sensor text, raw int, id int);
        ALTER TABLE public.late_readings INHERIT public.readings;

        INSERT INTO public.people VALUES (1, 'Ada', 'ada@example.com');
        INSERT INTO public.staff (id, name, badge, email) SELECT g, 'staff ' || g, 'B' || g, CASE WHEN g % 2 = 0 THEN 's' || g || '@example.com' END FROM generate_series(2, 50) g;
        INSERT INTO public.contractors (company, email, name, id) VALUES ('Acme', NULL, 'Wile', 100), (E'tab\there', 'x@y', E'new\nline', 101);
        INSERT INTO public.addresses VALUES ('1 Main St', 'Springfield', '12345');
        INSERT INTO public.shipping_addresses (street, city, note, zip) VALUES ('2 Side St', 'Shelbyville', 'back door', '54321'), ('3 Elm', NULL, NULL, NULL);
        INSERT INTO public.readings (id, raw, unit) VALUES (1, 10, 'C');
        INSERT INTO public.sensor_readings (id, raw, sensor, unit) SELECT g, g * 3, 's' || g % 4, 'K' FROM generate_series(1, 40) g;
        INSERT INTO public.late_readings (unit, sensor, raw, id) VALUES ('F', 'late', 7, 1000), (NULL, NULL, NULL, 1001);
        """;

    /// <summary>The tables whose column order a dump and restore changes.</summary>
    public static IReadOnlyList<string> Reordered { get; } =
        ["public.contractors", "public.late_readings", "public.sensor_readings", "public.shipping_addresses", "public.staff"];

    public static async Task<string> CreateAsync(PostgresFixture pg)
    {
        var database = await pg.CreateDatabaseAsync("columnorder");
        await pg.ExecuteAsync(database, Sql);
        return database;
    }
}
