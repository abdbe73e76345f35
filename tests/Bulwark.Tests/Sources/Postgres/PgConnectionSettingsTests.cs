using Bulwark.Sources.Postgres;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Sources.Postgres;

public sealed class PgConnectionSettingsTests
{
    private static PgConnectionSettings Resolve(string? connection, Dictionary<string, string>? environment = null) =>
        PgConnectionSettings.Resolve(connection, name => environment?.GetValueOrDefault(name));

    [Fact]
    public void Uri_IsParsed()
    {
        var s = Resolve("postgresql://app%40corp:p%3Ass@db.example.com:6543/my%20db?sslmode=require&application_name=x");
        Assert.Equal("db.example.com", s.Host);
        Assert.Equal(6543, s.Port);
        Assert.Equal("app@corp", s.User);
        Assert.Equal("p:ss", s.Password);
        Assert.Equal("my db", s.Database);
        Assert.Equal("require", s.SslMode);
        Assert.Equal("app@corp@db.example.com:6543/my db", s.Display);
        Assert.DoesNotContain("p:ss", s.ToString());
    }

    [Fact]
    public void KeyValue_IsParsed_WithQuotes()
    {
        var s = Resolve("host=h port=5433 dbname='my db' user=u password='it\\'s'");
        Assert.Equal("it's", s.Password);
        Assert.Equal("h", s.Host);
        Assert.Equal(5433, s.Port);
        Assert.Equal("my db", s.Database);
    }

    [Fact]
    public void Environment_FillsWhatTheStringLacks()
    {
        var s = Resolve("postgres://u@/app", new() { ["PGHOST"] = "envhost", ["PGPORT"] = "7777", ["PGPASSWORD"] = "envpw", ["PGUSER"] = "ignored" });
        Assert.Equal("envhost", s.Host);
        Assert.Equal(7777, s.Port);
        Assert.Equal("u", s.User);
        Assert.Equal("envpw", s.Password);
        Assert.Equal("app", s.Database);
    }

    [Fact]
    public void Defaults_FollowLibpq()
    {
        var s = Resolve(null);
        Assert.Equal(5432, s.Port);
        Assert.Equal(s.User, s.Database);
    }

    [Fact]
    public void PassFile_IsUsed_OnlyWhenPrivate()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("pgpass");
        File.WriteAllText(file, "# comment\nother:*:*:*:nope\ndb.example.com:5432:app:alice:pa\\:ss\n*:*:*:bob:bobpw\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal("pa:ss", Resolve("postgres://alice@db.example.com/app", new() { ["PGPASSFILE"] = file }).Password);
        Assert.Equal("bobpw", Resolve("postgres://bob@elsewhere/x", new() { ["PGPASSFILE"] = file }).Password);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        Assert.Null(Resolve("postgres://bob@elsewhere/x", new() { ["PGPASSFILE"] = file }).Password);
    }

    [Fact]
    public void ServiceFile_IsUsed()
    {
        using var dir = new TempDirectory();
        var file = dir.Combine("services");
        File.WriteAllText(file, "[other]\nhost=wrong\n[prod]\nhost=prod.example.com\nport=6000\ndbname=app\nuser=svc\n");
        var s = Resolve(null, new() { ["PGSERVICE"] = "prod", ["PGSERVICEFILE"] = file });
        Assert.Equal("prod.example.com", s.Host);
        Assert.Equal(6000, s.Port);
        Assert.Equal("svc", s.User);
        var error = Assert.Throws<BulwarkException>(() => Resolve("service=nope", new() { ["PGSERVICEFILE"] = file }));
        Assert.Contains("service 'nope'", error.Message);
    }

    [Fact]
    public void ChildEnvironment_CarriesThePassword_AndClearsForeignSettings()
    {
        var s = Resolve("postgres://u:secret@h:1234/d?sslmode=verify-full");
        var environment = s.ToEnvironment();
        Assert.Equal("secret", environment["PGPASSWORD"]);
        Assert.Equal("h", environment["PGHOST"]);
        Assert.Equal("1234", environment["PGPORT"]);
        Assert.Equal("verify-full", environment["PGSSLMODE"]);
        Assert.Null(environment["PGSERVICE"]);
        Assert.Equal(Npgsql.SslMode.VerifyFull, s.ToNpgsql().SslMode);
    }

    [Fact]
    public void GssEncMode_ReachesNpgsqlAndThePrograms_AndIsDisableOnlyWhereNoKerberosIsSetUp()
    {
        var s = Resolve("postgres://u@h/d?gssencmode=require");
        Assert.Equal(Npgsql.GssEncryptionMode.Require, s.ToNpgsql().GssEncryptionMode);
        Assert.Equal("require", s.ToEnvironment()["PGGSSENCMODE"]);
        Assert.Equal(Npgsql.GssEncryptionMode.Prefer,
            Resolve("host=h dbname=d user=u", new() { ["PGGSSENCMODE"] = "prefer" }).ToNpgsql().GssEncryptionMode);
        var error = Assert.Throws<BulwarkException>(() => Resolve("postgres://u@h/d?gssencmode=maybe").ToNpgsql());
        Assert.Contains("gssencmode 'maybe'", error.Message, StringComparison.Ordinal);

        // Not set: left to Npgsql's prefer where a Kerberos cache or configuration may exist.
        var withCache = Resolve("postgres://u@h/d", new() { ["KRB5CCNAME"] = "FILE:/tmp/krb5cc_1000" });
        Assert.Equal(Npgsql.GssEncryptionMode.Prefer, withCache.ToNpgsql().GssEncryptionMode);
        Assert.False(withCache.ToEnvironment().TryGetValue("PGGSSENCMODE", out var unset) && unset is not null);

        static bool Setup(string? variable = null, string? file = null, bool cache = false) => PgConnectionSettings.KerberosMayBeSetUp(
            name => name == variable ? "x" : null, path => path == file, () => cache);
        Assert.Equal(!OperatingSystem.IsLinux(), Setup());
        Assert.True(Setup(variable: "KRB5CCNAME"));
        Assert.True(Setup(variable: "KRB5_CONFIG"));
        Assert.True(Setup(file: "/etc/krb5.conf"));
        Assert.True(Setup(cache: true));
    }

    [Theory]
    [InlineData("postgres://u:secret@h/d", "postgres://u:***@h/d")]
    [InlineData("host=h password=secret user=u", "host=h password=*** user=u")]
    [InlineData("host=h password='sec ret' user=u", "host=h password=*** user=u")]
    [InlineData("postgres://h/d?password=secret&sslmode=require", "postgres://h/d?password=***&sslmode=require")]
    [InlineData("postgres://u:p?ss/w@rd@h:5433/d?sslmode=require", "postgres://u:***@h:5433/d?sslmode=require")]
    [InlineData("postgres://u:p#ss@h/d", "postgres://u:***@h/d")]
    [InlineData("postgres://u/x:p@h/d", "postgres://***@h/d")]
    public void Redact_HidesPasswords(string connection, string expected) =>
        Assert.Equal(expected, PgConnectionSettings.Redact(connection));

    [Fact]
    public void APasswordWithUnencodedQuestionMarkSlashAndAt_IsReadWhole()
    {
        var s = Resolve("postgres://u:p?ss/w@rd@h:5433/d?sslmode=require");
        Assert.Equal(("u", "p?ss/w@rd", "h", 5433, "d", "require"), (s.User, s.Password, s.Host, s.Port, s.Database, s.SslMode));
        var error = Assert.Throws<BulwarkException>(() => Resolve("postgres://u:p?ss/w@rd@h/d?colour=blue"));
        Assert.Contains("'colour'", error.Message);
        Assert.DoesNotContain("ss/w", error.Message);
        Assert.DoesNotContain("w@rd", error.Message);
    }

    [Fact]
    public void UnknownParameters_AndBadPorts_AreConfigurationErrors()
    {
        Assert.Equal(ErrorKind.Configuration, Assert.Throws<BulwarkException>(() => Resolve("postgres://h/d?colour=blue")).Kind);
        Assert.Equal(ErrorKind.Configuration, Assert.Throws<BulwarkException>(() => Resolve("postgres://h:99999/d")).Kind);
        var malformed = Assert.Throws<BulwarkException>(() => Resolve("host=h password=se'cret extra"));
        Assert.Equal(ErrorKind.Configuration, malformed.Kind);
        Assert.DoesNotContain("cret", malformed.Message);
    }
}

public sealed class SupabaseTests
{
    [Fact]
    public async Task TheTransactionPooler_IsRefusedBeforeConnecting()
    {
        var settings = PgConnectionSettings.Resolve("postgres://postgres.abc:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres?sslmode=require", _ => null);
        var backup = new PostgresBackup(settings, new PostgresBackupOptions());
        using var dir = new TempDirectory();
        await using var repository = await Bulwark.Tests.Repository.ChunkStoreTests.NewRepositoryAsync(dir);
        var error = await Assert.ThrowsAsync<BulwarkException>(() =>
            backup.RunAsync(new Bulwark.Repository.Streams.StreamUploader(repository, new HashSet<Bulwark.Repository.ObjectId>()), null, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorKind.Configuration, error.Kind);
        Assert.Contains("port 5432", error.Advice);
        Assert.DoesNotContain(":pw", error.Message);
    }
}

public sealed class RestoreSessionTests
{
    [Fact]
    public void RestoreSessions_GetMoreIndexMemory_AndKeepTheUsersOwnOptions()
    {
        var plain = PostgresRestore.ConnectionEnvironment(PgConnectionSettings.Resolve("postgres://u:pw@h/d", _ => null),
            PostgresRestoreOptions.DefaultSessionSettings);
        Assert.Equal("-c maintenance_work_mem=256MB -c synchronous_commit=off", plain["PGOPTIONS"]);
        Assert.Null(plain["PGDATABASE"]);
        Assert.Equal("pw", plain["PGPASSWORD"]);
        var withOptions = PostgresRestore.ConnectionEnvironment(
            PgConnectionSettings.Resolve("postgres://u@h/d?options=-c%20search_path%3Dapp", _ => null), PostgresRestoreOptions.DefaultSessionSettings);
        Assert.Equal("-c search_path=app -c maintenance_work_mem=256MB -c synchronous_commit=off", withOptions["PGOPTIONS"]);
    }
}
