using Bulwark.Sources.Postgres.Supabase;

namespace Bulwark.Tests.Sources.Postgres.Supabase;

public sealed class SupabaseGlobalsTests
{
    private const string Dump = """
        --
        -- PostgreSQL database cluster dump
        --

        SET default_transaction_read_only = off;

        SET client_encoding = 'UTF8';
        SET standard_conforming_strings = on;

        --
        -- Roles
        --

        CREATE ROLE anon;
        ALTER ROLE anon WITH NOSUPERUSER NOINHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
        CREATE ROLE app_reporting;
        ALTER ROLE app_reporting WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
        CREATE ROLE "Team Writer";
        ALTER ROLE "Team Writer" WITH LOGIN;
        ALTER ROLE app_reporting SET statement_timeout TO '5s';
        COMMENT ON ROLE app_reporting IS 'reports';
        CREATE ROLE supabase_auth_admin;
        ALTER ROLE postgres WITH NOSUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;

        --
        -- Role memberships
        --

        GRANT anon TO authenticator GRANTED BY supabase_admin;
        GRANT authenticated TO "Team Writer" GRANTED BY postgres;
        GRANT app_reporting TO postgres WITH ADMIN OPTION GRANTED BY supabase_admin;
        GRANT app_reporting TO "Team Writer" GRANTED BY "Team Writer";

        GRANT SET ON PARAMETER session_replication_role TO postgres;
        CREATE TABLESPACE fast OWNER supabase_admin LOCATION '/fast';
        """;

    [Fact]
    public void Filter_KeepsTheTeamsRolesAndMemberships_AndDropsReservedRolesParametersAndTablespaces()
    {
        var filtered = SupabaseGlobals.Filter(Dump, SupabasePlatform.Default);
        var statements = filtered.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
        [
            "SET default_transaction_read_only = off;",
            "SET client_encoding = 'UTF8';",
            "SET standard_conforming_strings = on;",
            "CREATE ROLE app_reporting;",
            "ALTER ROLE app_reporting WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;",
            "CREATE ROLE \"Team Writer\";",
            "ALTER ROLE \"Team Writer\" WITH LOGIN;",
            "ALTER ROLE app_reporting SET statement_timeout TO '5s';",
            "COMMENT ON ROLE app_reporting IS 'reports';",
            "GRANT authenticated TO \"Team Writer\";",
            "GRANT app_reporting TO postgres WITH ADMIN OPTION;",
            "GRANT app_reporting TO \"Team Writer\" GRANTED BY \"Team Writer\";",
        ], statements);
    }

    [Fact]
    public void Filter_UsesTheGivenReservedLists()
    {
        var platform = SupabasePlatform.Default with { ReservedRoles = ["app_reporting"], ReservedRolePrefixes = [] };
        var filtered = SupabaseGlobals.Filter(Dump, platform);
        Assert.DoesNotContain("ROLE app_reporting", filtered);
        Assert.Contains("CREATE ROLE anon;", filtered);
    }
}
