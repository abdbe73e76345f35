namespace Bulwark.Tests.Infrastructure;

/// <summary>
/// The SQL of a Supabase-shaped database, from the platform's public documentation and migrations: the cluster's
/// bootstrap superuser plays supabase_admin; <c>postgres</c> is an ordinary role. Extensions this server lacks
/// (pg_graphql, supabase_vault, pg_net) are stood in for by plain schemas, tables and functions of the same names.
/// </summary>
internal static class SupabaseShape
{
    /// <summary>Cluster-wide platform roles; run once per cluster as the superuser. PASSWORD_OF_POSTGRES stands for postgres's password.</summary>
    public const string ClusterRoles = """
        CREATE ROLE anon NOLOGIN NOINHERIT;
        CREATE ROLE authenticated NOLOGIN NOINHERIT;
        CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
        CREATE ROLE authenticator LOGIN NOINHERIT;
        GRANT anon, authenticated, service_role TO authenticator;
        CREATE ROLE supabase_auth_admin LOGIN NOINHERIT CREATEROLE;
        CREATE ROLE supabase_storage_admin LOGIN NOINHERIT CREATEROLE;
        CREATE ROLE supabase_realtime_admin NOLOGIN NOINHERIT;
        CREATE ROLE supabase_replication_admin LOGIN REPLICATION;
        CREATE ROLE supabase_read_only_user LOGIN BYPASSRLS;
        CREATE ROLE supabase_functions_admin NOLOGIN NOINHERIT CREATEROLE;
        CREATE ROLE dashboard_user NOLOGIN CREATEROLE CREATEDB REPLICATION;
        CREATE ROLE pgbouncer LOGIN;
        CREATE ROLE postgres LOGIN CREATEDB CREATEROLE BYPASSRLS REPLICATION PASSWORD 'PASSWORD_OF_POSTGRES';
        GRANT anon, authenticated, service_role TO postgres WITH ADMIN OPTION;
        -- The dashboard writes storage policies as postgres.
        GRANT supabase_storage_admin TO postgres;
        GRANT SET ON PARAMETER session_replication_role TO postgres;
        """;

    /// <summary>The platform's part of one project's database (owned by postgres); run as the superuser inside it.</summary>
    public const string Platform = """
        CREATE SCHEMA extensions;
        CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
        CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
        CREATE SCHEMA realtime;
        CREATE SCHEMA graphql;
        CREATE SCHEMA graphql_public;
        CREATE SCHEMA vault;
        CREATE SCHEMA pgbouncer;
        CREATE SCHEMA net;
        CREATE SCHEMA supabase_functions AUTHORIZATION supabase_admin;
        CREATE SCHEMA supabase_migrations AUTHORIZATION postgres;
        CREATE EXTENSION pgcrypto WITH SCHEMA extensions;
        CREATE EXTENSION "uuid-ossp" WITH SCHEMA extensions;
        CREATE EXTENSION pg_stat_statements WITH SCHEMA extensions;
        GRANT USAGE ON SCHEMA extensions, auth, storage, realtime, graphql, graphql_public, vault TO postgres, anon, authenticated, service_role;
        GRANT ALL ON SCHEMA extensions TO postgres;
        GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
        GRANT ALL ON SCHEMA public TO postgres;
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
        ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;

        -- auth (GoTrue)
        CREATE TABLE auth.users (
          instance_id uuid,
          id uuid PRIMARY KEY,
          aud varchar(255),
          role varchar(255),
          email varchar(255),
          encrypted_password varchar(255),
          email_confirmed_at timestamptz,
          raw_app_meta_data jsonb,
          raw_user_meta_data jsonb,
          is_super_admin boolean,
          created_at timestamptz,
          updated_at timestamptz,
          phone text UNIQUE DEFAULT NULL,
          is_anonymous boolean NOT NULL DEFAULT false
        );
        CREATE INDEX users_instance_id_email_idx ON auth.users (instance_id, lower(email));
        CREATE TABLE auth.identities (
          provider_id text NOT NULL,
          user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
          identity_data jsonb NOT NULL,
          provider text NOT NULL,
          last_sign_in_at timestamptz,
          created_at timestamptz,
          updated_at timestamptz,
          email text GENERATED ALWAYS AS (lower(identity_data ->> 'email')) STORED,
          id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
          UNIQUE (provider_id, provider)
        );
        CREATE TABLE auth.sessions (
          id uuid PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
          created_at timestamptz,
          updated_at timestamptz
        );
        CREATE TABLE auth.refresh_tokens (
          instance_id uuid,
          id bigserial PRIMARY KEY,
          token varchar(255) UNIQUE,
          user_id varchar(255),
          revoked boolean,
          created_at timestamptz,
          updated_at timestamptz,
          parent varchar(255),
          session_id uuid REFERENCES auth.sessions (id) ON DELETE CASCADE
        );
        CREATE TABLE auth.audit_log_entries (
          instance_id uuid,
          id uuid PRIMARY KEY,
          payload json,
          created_at timestamptz,
          ip_address varchar(64) NOT NULL DEFAULT ''
        );
        CREATE TABLE auth.schema_migrations (version varchar(255) PRIMARY KEY);
        CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
          SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true),
                                 (current_setting('request.jwt.claims', true)::jsonb ->> 'sub')), '')::uuid
        $$;
        CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $$
          SELECT nullif(coalesce(current_setting('request.jwt.claim.role', true),
                                 (current_setting('request.jwt.claims', true)::jsonb ->> 'role')), '')::text
        $$;
        CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $$
          SELECT coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                          nullif(current_setting('request.jwt.claims', true), ''))::jsonb
        $$;
        ALTER TABLE auth.users OWNER TO supabase_auth_admin;
        ALTER TABLE auth.identities OWNER TO supabase_auth_admin;
        ALTER TABLE auth.sessions OWNER TO supabase_auth_admin;
        ALTER TABLE auth.refresh_tokens OWNER TO supabase_auth_admin;
        ALTER TABLE auth.audit_log_entries OWNER TO supabase_auth_admin;
        ALTER TABLE auth.schema_migrations OWNER TO supabase_auth_admin;
        ALTER FUNCTION auth.uid() OWNER TO supabase_auth_admin;
        ALTER FUNCTION auth.role() OWNER TO supabase_auth_admin;
        ALTER FUNCTION auth.jwt() OWNER TO supabase_auth_admin;
        GRANT ALL ON auth.users, auth.identities, auth.sessions, auth.refresh_tokens, auth.audit_log_entries TO postgres, dashboard_user;
        GRANT ALL ON SEQUENCE auth.refresh_tokens_id_seq TO postgres, dashboard_user;
        GRANT EXECUTE ON FUNCTION auth.uid(), auth.role(), auth.jwt() TO postgres, anon, authenticated, service_role;
        ALTER TABLE auth.users ENABLE ROW LEVEL SECURITY;
        ALTER TABLE auth.identities ENABLE ROW LEVEL SECURITY;
        COMMENT ON TABLE auth.users IS 'Auth: Stores user login data within a secure schema.';
        INSERT INTO auth.schema_migrations VALUES ('20171026211738'), ('20171026211808'), ('20171026211834'), ('20240115144230');

        -- storage
        CREATE TABLE storage.buckets (
          id text PRIMARY KEY,
          name text NOT NULL UNIQUE,
          owner uuid,
          public boolean DEFAULT false,
          file_size_limit bigint,
          allowed_mime_types text[],
          created_at timestamptz DEFAULT now(),
          updated_at timestamptz DEFAULT now()
        );
        CREATE TABLE storage.objects (
          id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(),
          bucket_id text REFERENCES storage.buckets (id),
          name text,
          owner uuid,
          created_at timestamptz DEFAULT now(),
          updated_at timestamptz DEFAULT now(),
          last_accessed_at timestamptz DEFAULT now(),
          metadata jsonb,
          path_tokens text[] GENERATED ALWAYS AS (string_to_array(name, '/')) STORED,
          version text,
          UNIQUE (bucket_id, name)
        );
        CREATE TABLE storage.migrations (
          id integer PRIMARY KEY,
          name varchar(100) UNIQUE NOT NULL,
          hash varchar(40) NOT NULL,
          executed_at timestamp DEFAULT current_timestamp
        );
        CREATE FUNCTION storage.foldername(name text) RETURNS text[] LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE _parts text[];
        BEGIN
          SELECT string_to_array(name, '/') INTO _parts;
          RETURN _parts[1:array_length(_parts, 1) - 1];
        END $$;
        CREATE FUNCTION storage.filename(name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
        DECLARE _parts text[];
        BEGIN
          SELECT string_to_array(name, '/') INTO _parts;
          RETURN _parts[array_length(_parts, 1)];
        END $$;
        CREATE FUNCTION storage.update_updated_at_column() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          NEW.updated_at = now();
          RETURN NEW;
        END $$;
        CREATE TRIGGER update_objects_updated_at BEFORE UPDATE ON storage.objects
          FOR EACH ROW EXECUTE FUNCTION storage.update_updated_at_column();
        ALTER TABLE storage.buckets ENABLE ROW LEVEL SECURITY;
        ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
        ALTER TABLE storage.migrations ENABLE ROW LEVEL SECURITY;
        ALTER TABLE storage.buckets OWNER TO supabase_storage_admin;
        ALTER TABLE storage.objects OWNER TO supabase_storage_admin;
        ALTER TABLE storage.migrations OWNER TO supabase_storage_admin;
        ALTER FUNCTION storage.foldername(text) OWNER TO supabase_storage_admin;
        ALTER FUNCTION storage.filename(text) OWNER TO supabase_storage_admin;
        ALTER FUNCTION storage.update_updated_at_column() OWNER TO supabase_storage_admin;
        GRANT ALL ON storage.buckets, storage.objects TO postgres, service_role;
        GRANT SELECT ON storage.migrations TO postgres;
        GRANT ALL ON storage.buckets, storage.objects TO anon, authenticated;
        INSERT INTO storage.migrations (id, name, hash) VALUES
          (0, 'create-migrations-table', 'e18db593bcde2aca2a408c4d1100f6abba2195df'),
          (1, 'initialmigration', '6ab16121fbaa08bbd11b712d05f358f9b555d777'),
          (2, 'storage-schema', '5c7968fd083fcea04050c1b7f6253c9771b99011');

        -- realtime
        CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
        CREATE TABLE realtime.subscription (
          id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          subscription_id uuid NOT NULL,
          entity regclass NOT NULL,
          claims jsonb NOT NULL,
          created_at timestamp NOT NULL DEFAULT timezone('utc', now())
        );
        INSERT INTO realtime.schema_migrations VALUES (20211116024918, now()), (20211116045059, now());
        GRANT SELECT ON realtime.schema_migrations, realtime.subscription TO postgres;
        CREATE PUBLICATION supabase_realtime;
        ALTER PUBLICATION supabase_realtime OWNER TO postgres;

        -- stand-ins for pg_graphql, supabase_vault and pg_net, which this server lacks
        CREATE FUNCTION graphql.resolve(query text, variables jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$ SELECT '{}'::jsonb $$;
        CREATE FUNCTION graphql_public.graphql("operationName" text DEFAULT NULL, query text DEFAULT NULL, variables jsonb DEFAULT NULL, extensions jsonb DEFAULT NULL)
          RETURNS jsonb LANGUAGE sql AS $$ SELECT graphql.resolve(query, coalesce(variables, '{}')) $$;
        GRANT EXECUTE ON FUNCTION graphql_public.graphql(text, text, jsonb, jsonb) TO postgres, anon, authenticated, service_role;
        CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT extensions.gen_random_uuid(), name text UNIQUE, secret text NOT NULL);
        INSERT INTO vault.secrets (name, secret) VALUES ('platform_key', 'not-for-the-project-role');
        CREATE TABLE net.http_request_queue (id bigserial PRIMARY KEY, method text NOT NULL, url text NOT NULL);
        CREATE FUNCTION pgbouncer.get_auth(p_usename text) RETURNS TABLE (username text, password text)
          LANGUAGE sql SECURITY DEFINER AS $$ SELECT usename::text, passwd::text FROM pg_catalog.pg_shadow WHERE usename = p_usename $$;
        REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO pgbouncer;
        CREATE TABLE supabase_functions.migrations (version text PRIMARY KEY, inserted_at timestamptz NOT NULL DEFAULT now());
        INSERT INTO supabase_functions.migrations (version) VALUES ('initial'), ('20210809183423_update_grants');
        CREATE TABLE supabase_migrations.schema_migrations (version text PRIMARY KEY, statements text[], name text);
        ALTER TABLE supabase_migrations.schema_migrations OWNER TO postgres;

        -- PostgREST reloads its schema cache on DDL (an event trigger: superuser only)
        CREATE FUNCTION extensions.pgrst_ddl_watch() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_notify('pgrst', 'reload schema');
        END $$;
        CREATE EVENT TRIGGER pgrst_ddl_watch ON ddl_command_end EXECUTE FUNCTION extensions.pgrst_ddl_watch();
        """;

    /// <summary>
    /// The team's part, as the project's ordinary <c>postgres</c> role: tables that reference auth.users, RLS
    /// policies with auth.uid(), a trigger on auth.users that creates profiles, storage policies, a table in the
    /// realtime publication, a view, functions, an enum, a schema and a role of its own, users and identities.
    /// </summary>
    public const string Team = """
        CREATE TYPE public.mood AS ENUM ('happy', 'sad', 'curious');
        CREATE TABLE public.profiles (
          id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
          username text UNIQUE,
          mood public.mood,
          updated_at timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00'
        );
        COMMENT ON TABLE public.profiles IS 'One row per user, created by on_auth_user_created';
        ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "Profiles are viewable by everyone" ON public.profiles FOR SELECT USING (true);
        CREATE POLICY "Users update their own profile" ON public.profiles FOR UPDATE USING (auth.uid() = id);
        CREATE FUNCTION public.handle_new_user() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
        BEGIN
          INSERT INTO public.profiles (id, username) VALUES (NEW.id, NEW.raw_user_meta_data ->> 'username');
          RETURN NEW;
        END $$;
        CREATE TRIGGER on_auth_user_created AFTER INSERT ON auth.users
          FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();

        CREATE TABLE public.messages (
          id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
          user_id uuid NOT NULL REFERENCES auth.users (id),
          body text NOT NULL,
          created_at timestamptz NOT NULL DEFAULT '2026-01-01 00:00:00+00'
        );
        ALTER TABLE public.messages ENABLE ROW LEVEL SECURITY;
        CREATE POLICY "Authenticated users read messages" ON public.messages FOR SELECT TO authenticated USING (true);
        CREATE POLICY "Users write their own messages" ON public.messages FOR INSERT TO authenticated WITH CHECK (auth.uid() = user_id);
        ALTER PUBLICATION supabase_realtime ADD TABLE public.messages;
        CREATE VIEW public.message_counts AS SELECT user_id, count(*) AS messages FROM public.messages GROUP BY user_id;
        CREATE FUNCTION public.message_count(who uuid) RETURNS bigint LANGUAGE sql STABLE AS $$
          SELECT count(*) FROM public.messages WHERE user_id = who
        $$;

        CREATE SCHEMA app;
        CREATE TABLE app.settings (key text PRIMARY KEY, value jsonb NOT NULL);
        INSERT INTO app.settings VALUES ('theme', '"dark"'), ('limits', '{"uploads": 10}');
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app_reporting') THEN
            CREATE ROLE app_reporting NOLOGIN;
          END IF;
        END $$;
        GRANT USAGE ON SCHEMA app TO app_reporting;
        GRANT SELECT ON app.settings, public.message_counts TO app_reporting;

        CREATE POLICY "Avatar images are publicly accessible" ON storage.objects FOR SELECT USING (bucket_id = 'avatars');
        CREATE POLICY "Users upload their own avatar" ON storage.objects FOR INSERT TO authenticated
          WITH CHECK (bucket_id = 'avatars' AND auth.uid()::text = (storage.foldername(name))[1]);

        INSERT INTO storage.buckets (id, name, public) VALUES ('avatars', 'avatars', true), ('documents', 'documents', false);
        INSERT INTO auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at, raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
        SELECT '00000000-0000-0000-0000-000000000000', ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'authenticated', 'authenticated',
               'user' || i || '@example.com', '$2a$10$abcdefghijklmnopqrstuv' || i, '2026-01-01 00:00:00+00',
               '{"provider": "email", "providers": ["email"]}', jsonb_build_object('username', 'user' || i),
               '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00'
        FROM generate_series(1, 25) i;
        INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
        SELECT id::text, id, jsonb_build_object('sub', id::text, 'email', email), 'email', created_at, updated_at FROM auth.users;
        UPDATE public.profiles SET mood = 'happy' WHERE username IN ('user1', 'user2');
        INSERT INTO public.messages (user_id, body)
        SELECT ('00000000-0000-4000-8000-' || lpad((1 + i % 25)::text, 12, '0'))::uuid, 'message ' || i FROM generate_series(1, 200) i;
        INSERT INTO storage.objects (bucket_id, name, owner, metadata)
        SELECT 'avatars', 'user' || i || '/avatar.png', ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
               jsonb_build_object('size', 100 + i, 'mimetype', 'image/png')
        FROM generate_series(1, 5) i;
        INSERT INTO supabase_migrations.schema_migrations VALUES ('20260101000000', ARRAY['create table profiles'], 'profiles');
        """;
}
