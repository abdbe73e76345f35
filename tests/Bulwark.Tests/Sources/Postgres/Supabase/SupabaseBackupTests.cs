using Bulwark.Operations;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Repositories;
using Bulwark.Operations.Restore;
using Bulwark.Repository.Snapshots;
using Bulwark.Sources.Postgres;
using Bulwark.Sources.Postgres.Archive;
using Bulwark.Sources.Postgres.Fingerprints;
using Bulwark.Sources.Postgres.Supabase;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres.Supabase;

/// <summary>Backups of a Supabase-shaped project as its own postgres role (the supabase profile).</summary>
public sealed class SupabaseBackupTests(SupabaseFixture supabase, PostgresFixture pg)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<(BulwarkContext Context, Snapshot Snapshot)> BackUpAsync(TempDirectory dir, string url,
        Action<Bulwark.Operations.Configuration.BulwarkConfig>? configure = null)
    {
        var context = TestConfig.Context(dir, url, configure: configure);
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);
        var result = await new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct);
        return (context, result.Snapshot);
    }

    private static async Task<IReadOnlyList<ArchiveTocEntry>> TocAsync(BulwarkContext context, Snapshot snapshot)
    {
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var (_, entries) = await ArchiveReading.ReadTocAsync(repository, snapshot.Manifest.FindStream(PostgresBackup.DumpStreamName)!, Ct);
        return entries;
    }

    private static bool Has(IReadOnlyList<ArchiveTocEntry> entries, string description, string schema, string tag) =>
        entries.Any(e => e.Description == description && e.Namespace == schema && e.Tag == tag);

    [Fact]
    public async Task Backup_AsProjectRole_KeepsTheTeamsObjectsRowsAndAdditions_WithoutBookkeepingOrUnreadableTables()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var (context, snapshot) = await BackUpAsync(dir, supabase.Url(project, withPassword: true));

        Assert.Equal("supabase", snapshot.Manifest.Source.Profile);
        Assert.Equal(SupabaseFixture.ProjectRole, snapshot.Manifest.Source.User);
        var entries = await TocAsync(context, snapshot);
        // The team's schema and data.
        foreach (var (schema, table) in new[] { ("public", "profiles"), ("public", "messages"), ("app", "settings") })
        {
            Assert.True(Has(entries, "TABLE", schema, table), $"{schema}.{table}");
            Assert.True(Has(entries, "TABLE DATA", schema, table), $"rows of {schema}.{table}");
        }
        Assert.Contains(entries, e => e.Description == "SCHEMA" && e.Tag == "app");
        Assert.True(Has(entries, "VIEW", "public", "message_counts"));
        Assert.True(Has(entries, "TYPE", "public", "mood"));
        Assert.True(Has(entries, "FUNCTION", "public", "handle_new_user()"));
        // The team's rows in platform tables.
        foreach (var (schema, table) in new[] { ("auth", "users"), ("auth", "identities"), ("storage", "buckets"), ("storage", "objects") })
            Assert.True(Has(entries, "TABLE DATA", schema, table), $"rows of {schema}.{table}");
        // The team's additions to platform objects.
        Assert.True(Has(entries, "TRIGGER", "auth", "users on_auth_user_created"));
        Assert.True(Has(entries, "POLICY", "storage", "objects Avatar images are publicly accessible"));
        Assert.True(Has(entries, "POLICY", "storage", "objects Users upload their own avatar"));
        Assert.True(Has(entries, "PUBLICATION TABLE", "public", "supabase_realtime messages"));
        // Bookkeeping: the definition (readable) but not the rows.
        Assert.True(Has(entries, "TABLE", "storage", "migrations"));
        foreach (var bookkeeping in new[] { ("storage", "migrations"), ("realtime", "schema_migrations"), ("supabase_functions", "migrations") })
            Assert.False(Has(entries, "TABLE DATA", bookkeeping.Item1, bookkeeping.Item2), $"rows of {bookkeeping}");
        // What the project's role cannot read is not in the archive at all.
        foreach (var (schema, table) in new[] { ("auth", "schema_migrations"), ("vault", "secrets"), ("net", "http_request_queue") })
            Assert.DoesNotContain(entries, e => e.Namespace == schema && e.Tag == table);

        await using (var repository = await context.OpenRepositoryAsync(Ct))
        {
            var (platform, excluded) = (await SnapshotPlatform.ReadAsync(repository, snapshot, Ct))!.Value;
            Assert.Equal(SupabasePlatform.Default.Schemas, platform.Schemas);
            Assert.Contains("auth.schema_migrations", excluded);
            Assert.Contains("vault.secrets", excluded);
            Assert.Contains("net.http_request_queue", excluded);
            // Readable, but its identity sequence is not: pg_dump would read the sequence with the table.
            Assert.Contains("realtime.subscription", excluded);
            Assert.DoesNotContain("auth.users", excluded);
        }

        // Fingerprints cover exactly the rows the archive holds.
        var fingerprints = snapshot.Manifest.Fingerprints!;
        Assert.Null(fingerprints.Error);
        Assert.Equal(25, fingerprints.Tables.Single(t => t.QualifiedName == "auth.users").Rows);
        Assert.Equal(25, fingerprints.Tables.Single(t => t.QualifiedName == "public.profiles").Rows);
        Assert.Equal(5, fingerprints.Tables.Single(t => t.QualifiedName == "storage.objects").Rows);
        Assert.DoesNotContain(fingerprints.Tables, t => t.QualifiedName is "auth.schema_migrations" or "storage.migrations" or "vault.secrets");
        var archived = entries.Where(e => e.Description == "TABLE DATA").Select(e => e.QualifiedName).Order().ToList();
        Assert.Equal(archived, fingerprints.Tables.Select(t => t.QualifiedName).Order().ToList());

        // The team's roles, and no reserved one.
        var globals = snapshot.Manifest.FindStream(PostgresBackup.GlobalsStreamName);
        Assert.NotNull(globals);
        Assert.Equal("team", globals.Attributes!["roles"]);
        var file = dir.Combine("globals.sql");
        await new RestoreOperation(context).RunAsync(new RestoreRequest { Snapshot = "latest", ToFile = file, Stream = PostgresBackup.GlobalsStreamName }, null, Ct);
        var sql = await File.ReadAllTextAsync(file, Ct);
        Assert.Contains("CREATE ROLE app_reporting;", sql);
        foreach (var reserved in new[] { "postgres", "anon", "authenticated", "service_role", "authenticator", "supabase_admin", "supabase_auth_admin", "pgbouncer", "dashboard_user" })
            Assert.DoesNotMatch($@"(CREATE|ALTER) ROLE ""?{reserved}""?[ ;]", sql);
        Assert.DoesNotContain("ON PARAMETER", sql);
        Assert.DoesNotContain("SCRAM-SHA-256$", sql);
    }

    [Fact]
    public async Task Backup_AutoProfile_IsPlainForAnOrdinaryDatabase()
    {
        using var dir = new TempDirectory();
        var database = await pg.CreateDatabaseAsync("plainprof");
        await pg.ExecuteAsync(database, "CREATE SCHEMA auth; CREATE SCHEMA storage; CREATE TABLE auth.t (x int); INSERT INTO auth.t VALUES (1);");
        var (context, snapshot) = await BackUpAsync(dir, pg.Url(database));

        Assert.Equal("plain", snapshot.Manifest.Source.Profile);
        Assert.Null(snapshot.Manifest.FindStream(SnapshotPlatform.StreamName));
        Assert.Null(snapshot.Manifest.FindStream(PostgresBackup.GlobalsStreamName));
        await using var repository = await context.OpenRepositoryAsync(Ct);
        Assert.Null(await SnapshotPlatform.ReadAsync(repository, snapshot, Ct));
        Assert.Contains(snapshot.Manifest.Fingerprints!.Tables, t => t.QualifiedName == "auth.t");
    }

    [Fact]
    public async Task Backup_PlainProfileOnASupabaseProject_FailsWithThePermissionError_AndNamesTheProfile()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync(withTeam: false);
        var context = TestConfig.Context(dir, supabase.Url(project, withPassword: true), configure: c => c.Postgres.Profile = "plain");
        await new InitOperation(context).RunAsync(null, dir.Path, Ct);

        var error = await Assert.ThrowsAsync<BulwarkException>(() => new BackupOperation(context).RunAsync(new BackupRequest(), null, Ct));
        Assert.Equal(ErrorKind.Failed, error.Kind);
        Assert.Contains("permission denied", error.Message);
        Assert.Contains("'postgres.profile' to supabase", error.Advice);
        await using var repository = await context.OpenRepositoryAsync(Ct);
        Assert.Empty((await repository.ScanSnapshotsAsync(Ct)).Snapshots);
    }

    [Fact]
    public async Task Backup_UsesTheConfiguredPlatformLists_AndRecordsThem()
    {
        using var dir = new TempDirectory();
        var project = await supabase.CreateProjectAsync();
        var (context, snapshot) = await BackUpAsync(dir, supabase.Url(project, withPassword: true), c =>
        {
            c.Postgres.Profile = "supabase";
            c.Postgres.Supabase.Platform.Schemas = [.. SupabasePlatform.Default.Schemas, "app"];
            c.Postgres.Supabase.Platform.BookkeepingTables = ["app.settings", "storage.migrations"];
        });

        var entries = await TocAsync(context, snapshot);
        Assert.True(Has(entries, "TABLE", "app", "settings"));
        Assert.False(Has(entries, "TABLE DATA", "app", "settings"));
        // No longer bookkeeping: its rows are kept.
        Assert.True(Has(entries, "TABLE DATA", "realtime", "schema_migrations"));
        await using var repository = await context.OpenRepositoryAsync(Ct);
        var (platform, _) = (await SnapshotPlatform.ReadAsync(repository, snapshot, Ct))!.Value;
        Assert.Contains("app", platform.Schemas);
        Assert.Equal(["app.settings", "storage.migrations"], platform.BookkeepingTables);
    }

    [Theory]
    [InlineData("db.abcdefghijklmnop.supabase.co", true)]
    [InlineData("aws-0-eu-central-1.pooler.supabase.com", true)]
    [InlineData("DB.ABC.SUPABASE.CO", true)]
    [InlineData("supabase.co.example.com", false)]
    [InlineData("localhost", false)]
    [InlineData("/var/run/postgresql", false)]
    public void SupabaseHost_IsRecognisedByName(string host, bool expected) =>
        Assert.Equal(expected, SupabaseDetection.IsSupabaseHost(host));
}
