namespace Bulwark.Tests.Infrastructure;

/// <summary>A database with many kinds of objects and awkward data, for round-trip tests.</summary>
public static class AwkwardDatabase
{
    /// <summary>The role that grants refer to; roles are cluster-wide, so it is created once per server.</summary>
    public const string Role = "bulwark_reader";

    public static string Sql => """
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ROLE_NAME') THEN CREATE ROLE ROLE_NAME; END IF;
        END $$;
        CREATE SCHEMA app;
        CREATE SCHEMA "Weird Schema ü";
        CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy', 'ünïcödé');
        CREATE DOMAIN app.positive AS integer CHECK (VALUE > 0);
        CREATE TYPE app.point3 AS (x double precision, y double precision, z double precision);
        CREATE SEQUENCE app.invoice_no START 1000 INCREMENT 7;
        SELECT setval('app.invoice_no', 4242, true);
        CREATE SEQUENCE app.never_called;
        SELECT setval('app.never_called', 77, false);

        CREATE TABLE app.people (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          name text NOT NULL,
          nick text,
          mood app.mood,
          age app.positive,
          position app.point3,
          tags text[],
          matrix integer[][],
          doc jsonb,
          photo bytea,
          born date,
          seen timestamptz,
          ratio double precision,
          price numeric(12,4),
          full_name text GENERATED ALWAYS AS (name || ' ' || coalesce(nick, '')) STORED,
          invoice integer DEFAULT nextval('app.invoice_no')
        );
        INSERT INTO app.people (name, nick, mood, age, position, tags, matrix, doc, photo, born, seen, ratio, price) VALUES
          ('Ada', NULL, 'happy', 36, ROW(1.5, -2, 3e10), ARRAY['a','b c','d"e', NULL], '{{1,2},{3,4}}',
           '{"k": [1, 2, {"n": null}], "s": "tab\there"}', '\x00ff10', '1815-12-10', '2026-01-01 12:00:00+01', 0.1, 12.3456),
          (E'line1\nline2\ttabbed\\backslash', 'O''Brien', 'ünïcödé', 1, NULL, '{}', NULL, 'null', '', NULL, NULL, 'NaN', NULL),
          ('日本語 テキスト 🎉', E'\r\n', NULL, NULL, ROW(NULL, NULL, NULL), ARRAY[]::text[], '{}', '[]', decode(repeat('ab', 5000), 'hex'), 'infinity', '-infinity', '-Infinity', -0.0001),
          (repeat('x', 100000), 'big', 'ok', 2, NULL, NULL, NULL, '{"deep": {"deeper": {"deepest": true}}}', NULL, '2000-02-29', now(), 1e-300, 99999999.9999);
        INSERT INTO app.people (name, age) SELECT 'bulk ' || g, 1 + g % 90 FROM generate_series(1, 5000) g;

        CREATE TABLE "Weird Schema ü"."Mixed Case ""Quoted"" Table" ("Column With Spaces" text, "ÜberId" int PRIMARY KEY);
        INSERT INTO "Weird Schema ü"."Mixed Case ""Quoted"" Table" VALUES ('x', 1), (NULL, 2), (E'\\N', 3);

        CREATE TABLE app.measurements (id bigint, taken date NOT NULL, value real) PARTITION BY RANGE (taken);
        CREATE TABLE app.measurements_2025 PARTITION OF app.measurements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        CREATE TABLE app.measurements_2026 PARTITION OF app.measurements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
        INSERT INTO app.measurements SELECT g, date '2025-06-01' + (g % 400), g / 3.0 FROM generate_series(1, 3000) g;

        CREATE TABLE app.audit (at timestamptz DEFAULT now(), what text);
        CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $fn$
        BEGIN INSERT INTO app.audit (what) VALUES (TG_OP || ' ' || NEW.name); RETURN NEW; END $fn$;
        CREATE TRIGGER people_audit AFTER INSERT ON app.people FOR EACH ROW EXECUTE FUNCTION app.touch();
        CREATE FUNCTION app.add(a integer, b integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a + b';

        CREATE VIEW app.adults AS SELECT id, name FROM app.people WHERE age >= 18;
        CREATE MATERIALIZED VIEW app.mood_counts AS SELECT mood, count(*) AS n FROM app.people GROUP BY mood;
        CREATE INDEX people_name ON app.people (name);
        CREATE UNIQUE INDEX people_nick ON app.people (nick) WHERE nick IS NOT NULL;
        ALTER TABLE app.measurements_2025 ADD CONSTRAINT positive_value CHECK (value >= 0);

        COMMENT ON TABLE app.people IS 'People, with "quotes" and ünïcödé';
        COMMENT ON COLUMN app.people.doc IS E'multi\nline';
        COMMENT ON FUNCTION app.add(integer, integer) IS 'adds';

        GRANT USAGE ON SCHEMA app TO ROLE_NAME;
        GRANT SELECT ON app.people, app.adults TO ROLE_NAME;
        ALTER TABLE app.people ENABLE ROW LEVEL SECURITY;
        CREATE POLICY readers ON app.people FOR SELECT TO ROLE_NAME USING (age > 20);

        SELECT lo_from_bytea(0, 'large object content'::bytea);
        SELECT lo_from_bytea(0, decode(repeat('00ff', 100000), 'hex'));
        """.Replace("ROLE_NAME", Role, StringComparison.Ordinal);
}
