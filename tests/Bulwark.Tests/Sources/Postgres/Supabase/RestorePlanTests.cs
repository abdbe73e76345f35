using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Supabase;

namespace Bulwark.Tests.Sources.Postgres.Supabase;

/// <summary>Which entries of a Supabase archive a restore into a project takes, and why it leaves the others.</summary>
public sealed class RestorePlanTests
{
    private static int _id;

    private static ArchiveTocEntry Entry(string description, string? schema, string tag, string? definition = null) => new()
    {
        DumpId = Interlocked.Increment(ref _id),
        HasData = description == "TABLE DATA",
        Description = description,
        Namespace = schema,
        Tag = tag,
        Definition = definition,
    };

    private static RestorePlan Plan(params ArchiveTocEntry[] entries) =>
        RestorePlan.Create(entries, SupabasePlatform.Default, new HashSet<string> { "pgcrypto" }, new HashSet<string> { "supabase_realtime" },
            new HashSet<string> { "pgcrypto", "hstore" });

    [Fact]
    public void Plan_TakesTheTeamsTriggerOnAPlatformTable_AsAnAddition_ButNotThePlatformsOwnTrigger()
    {
        var team = Entry("TRIGGER", "auth", "users on_signup", "CREATE TRIGGER on_signup AFTER INSERT ON auth.users FOR EACH ROW EXECUTE FUNCTION \"My App\".on_signup();\n");
        var platform = Entry("TRIGGER", "storage", "objects update_objects_updated_at",
            "CREATE TRIGGER update_objects_updated_at BEFORE UPDATE ON storage.objects FOR EACH ROW EXECUTE FUNCTION storage.update_updated_at_column();\n");
        var plan = Plan(team, platform);
        Assert.True(plan.IsAddition(team.DumpId));
        Assert.False(plan.IsListed(platform.DumpId));
        Assert.Equal("My App", RestorePlan.TriggerFunctionSchema(team.Definition));
    }

    [Fact]
    public void Plan_KeepsOnlyTheGrantsToTheTeamsRoles_OnPlatformObjects()
    {
        var acl = Entry("ACL", "auth", "TABLE users", """
            REVOKE ALL ON TABLE auth.users FROM supabase_auth_admin;
            GRANT ALL ON TABLE auth.users TO supabase_auth_admin;
            GRANT ALL ON TABLE auth.users TO postgres;
            GRANT SELECT ON TABLE auth.users TO anon;
            GRANT SELECT ON TABLE auth.users TO PUBLIC;
            GRANT SELECT ON TABLE auth.users TO "Team Reader" WITH GRANT OPTION;

            """);
        var plan = Plan(acl);
        var grant = Assert.Single(plan.Grants);
        Assert.Equal("GRANT SELECT ON TABLE auth.users TO \"Team Reader\" WITH GRANT OPTION;", grant.Sql);
        Assert.False(plan.IsListed(acl.DumpId));
    }

    [Fact]
    public void Plan_TakesPlatformRowsAndTheTeamsObjects_AndSkipsThePlatformsObjects_Bookkeeping_EventTriggers_AndPresentExtensions()
    {
        var users = Entry("TABLE DATA", "auth", "users");
        var usersTable = Entry("TABLE", "auth", "users", "CREATE TABLE auth.users (id uuid);\n");
        var migrations = Entry("TABLE", "storage", "migrations", "CREATE TABLE storage.migrations (id integer);\n");
        var queue = Entry("SEQUENCE OWNED BY", "net", "http_request_queue_id_seq", "ALTER SEQUENCE net.http_request_queue_id_seq OWNED BY net.http_request_queue.id;\n");
        var queueValue = Entry("SEQUENCE SET", "net", "http_request_queue_id_seq");
        var profiles = Entry("TABLE", "public", "profiles", "CREATE TABLE public.profiles (id uuid);\n");
        var policy = Entry("POLICY", "storage", "objects Avatars are public");
        var membership = Entry("PUBLICATION TABLE", "public", "supabase_realtime messages");
        var publication = Entry("PUBLICATION", null, "supabase_realtime");
        var eventTrigger = Entry("EVENT TRIGGER", null, "pgrst_ddl_watch");
        var pgcrypto = Entry("EXTENSION", null, "pgcrypto");
        var hstore = Entry("EXTENSION", null, "hstore");
        var graphql = Entry("EXTENSION", null, "pg_graphql");
        var authSchema = Entry("SCHEMA", null, "auth");
        var appSchema = Entry("SCHEMA", null, "app");

        var plan = Plan(users, usersTable, migrations, queue, queueValue, profiles, policy, membership, publication, eventTrigger,
            pgcrypto, hstore, graphql, authSchema, appSchema);

        Assert.Equal([users, profiles, policy, membership, hstore, appSchema], plan.Listed);
        Assert.Equal([users], plan.PlatformData);
        Assert.True(plan.IsAddition(policy.DumpId) && plan.IsAddition(membership.DumpId));
        Assert.Equal(3, plan.TeamObjects);
        Assert.Contains(plan.Skipped, s => s.What == "event trigger pgrst_ddl_watch");
        Assert.Contains(plan.Skipped, s => s.What == "extension pgcrypto" && s.Why.Contains("has it already", StringComparison.Ordinal));
        Assert.Contains(plan.Skipped, s => s.What == "extension pg_graphql" && s.Why.Contains("not available", StringComparison.Ordinal));
        Assert.Contains(plan.Skipped, s => s.What == "rows of storage.migrations");
        Assert.Contains(plan.Skipped, s => s.What == "value of net.http_request_queue_id_seq");
        Assert.Contains(plan.Skipped, s => s.What == "publication supabase_realtime");
        Assert.Contains(plan.Skipped, s => s.What.StartsWith("4 platform objects", StringComparison.Ordinal));
    }
}
