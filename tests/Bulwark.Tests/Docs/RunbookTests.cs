using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Bulwark.Operations.Backup;
using Bulwark.Operations.Configuration;
using Bulwark.Operations.Repositories;
using Bulwark.Sources.Postgres;
using Bulwark.Tests.Cli.Commands;
using Bulwark.Tests.Infrastructure;
using Bulwark.Tests.Operations.Restore;

namespace Bulwark.Tests.Docs;

/// <summary>
/// docs/RUNBOOK.md's promise that every command in it is real: its ```sh blocks run, in order, in one bash script
/// (set -euo pipefail) against a test database, a second server and a repository, with the variables the runbook
/// names.
/// </summary>
public sealed partial class RunbookTests : IDisposable
{
    /// <summary>The fence tags whose blocks run.</summary>
    private static readonly string[] RunnableFences = ["sh"];

    /// <summary>The section whose blocks run against the Supabase-shaped server instead.</summary>
    private const string SupabaseSection = "Supabase: recover a project";

    /// <summary>The section whose blocks run against a server that archives its WAL with this program.</summary>
    private const string PitrSection = "Restore to a point in time";

    /// <summary>Sections whose blocks run against a server of their own, each in a script of its own.</summary>
    private static readonly string[] OwnServerSections = [SupabaseSection, PitrSection];

    private readonly PostgresFixture _pg;
    private readonly SupabaseFixture _supabase;
    private readonly TempDirectory _dir = new("bulwark-runbook");

    public RunbookTests(PostgresFixture pg, SupabaseFixture supabase)
    {
        _pg = pg;
        _supabase = supabase;
    }

    public void Dispose() => _dir.Dispose();

    public static string RunbookPath
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, "docs", "RUNBOOK.md");
                if (File.Exists(candidate))
                    return candidate;
            }
            throw new FileNotFoundException("docs/RUNBOOK.md not found above the test folder");
        }
    }

    /// <summary>(fence tag, first line number, text) of every fenced block.</summary>
    public static IReadOnlyList<(string Fence, int Line, string Text)> Blocks(string markdown) =>
        OwnServerSections.Aggregate(Blocks(markdown, null), (all, s) => [.. all, .. Blocks(markdown, s)]).OrderBy(b => b.Line).ToList();

    /// <summary>The blocks of the "## N. <paramref name="section"/>" section, or of every other one when null.</summary>
    private static IReadOnlyList<(string Fence, int Line, string Text)> Blocks(string markdown, string? section)
    {
        var ranges = OwnServerSections.Select(s => Range(markdown, s)).ToList();
        var own = section is null ? (-1, -1) : Range(markdown, section);
        var blocks = new List<(string, int, string)>();
        foreach (Match match in FencePattern().Matches(markdown))
        {
            var inside = section is null
                ? ranges.Any(r => Within(match.Index, r))
                : Within(match.Index, own);
            if (inside != (section is not null))
                continue;
            var line = markdown.AsSpan(0, match.Index).Count('\n') + 2;
            blocks.Add((match.Groups[1].Value, line, match.Groups[2].Value));
        }
        return blocks;
    }

    /// <summary>Where the "## N. <paramref name="section"/>" section starts and ends ((-1, -1) when absent).</summary>
    private static (int Start, int End) Range(string markdown, string section)
    {
        var start = markdown.IndexOf($". {section}\n", StringComparison.Ordinal);
        var end = start < 0 ? -1 : markdown.IndexOf("\n## ", start, StringComparison.Ordinal);
        return (start, start < 0 ? -1 : end < 0 ? markdown.Length : end);
    }

    private static bool Within(int index, (int Start, int End) range) => range.Start >= 0 && index > range.Start && index < range.End;

    private static string Script(string markdown, string? section, string preamble)
    {
        var script = new StringBuilder(preamble);
        foreach (var (fence, line, text) in Blocks(markdown, section).Where(b => RunnableFences.Contains(b.Fence)))
            script.Append($"echo '### RUNBOOK.md line {line}' >&2\nset -x\n{text}set +x\n");
        return script.ToString();
    }

    [Fact]
    public void Runbook_HasEverySectionTheRecoveryNeeds()
    {
        var text = File.ReadAllText(RunbookPath);
        foreach (var heading in new[]
                 {
                     "Emergency restore", "Restore onto a new server", "Restore one table or schema", "Restore configuration files",
                     "Roll back a ruleset", "A corrupted repository", "A lost local state folder", "A lost passphrase",
                     "Troubleshooting", SupabaseSection, PitrSection, "Security notes",
                 })
            Assert.Contains($"## ", text[..text.IndexOf(heading, StringComparison.Ordinal)].Split('\n')[^1]);
        foreach (var step in new[] { "Stop the application", "Choose a snapshot", "Verify it", "Restore it", "Prove it", "Restart" })
            Assert.Contains(step, text);
        Assert.True(Blocks(text).Count(b => b.Fence == "sh") >= 20);
    }

    [Fact]
    public async Task Runbook_ShellBlocks_RunAgainstATestDatabaseAndRepository()
    {
        var markdown = await File.ReadAllTextAsync(RunbookPath);
        // What a site has besides its database: configuration files in every backup, and a ruleset with two
        // versions activated in prod one after the other (so that there is something to roll back).
        var script = Script(markdown, null, """
            set -euo pipefail
            printf 'files:\n  - config/app.yml\n' > bulwark.yml
            mkdir -p config && echo 'feature: on' > config/app.yml
            echo 'rules: [a]' > ruleset.yml
            bulwark ruleset create patch -m first --author ops >/dev/null
            bulwark ruleset activate 1.0.0 --env prod >/dev/null
            echo 'rules: [a, b]' > ruleset.yml
            bulwark ruleset create minor -m second --author ops >/dev/null
            bulwark ruleset activate 1.1.0 --env prod >/dev/null

            """);
        var scriptPath = _dir.Combine("runbook.sh");
        await File.WriteAllTextAsync(scriptPath, script);

        // The production database, a repository with a backup (roles included), and a second, empty server.
        var database = await SampleDatabase.CreateAsync(_pg, "app");
        var repository = _dir.Combine("repository");
        var context = TestConfig.Context(_dir, _pg.Url(database), configure: c => c.Repository = repository);
        await new InitOperation(context).RunAsync(null, Directory.CreateDirectory(_dir.Combine("setup")).FullName, CancellationToken.None);
        await new BackupOperation(context).RunAsync(new BackupRequest { Globals = true }, null, CancellationToken.None);
        // An empty second repository for the offsite copy, and an encrypted one for the passphrase section.
        var second = _dir.Combine("second");
        await new InitOperation(TestConfig.Context(_dir, null, configure: c => c.Repository = second))
            .RunAsync(null, _dir.Path, CancellationToken.None);
        var encrypted = _dir.Combine("encrypted");
        var passphrase = "runbook passphrase";
        await new InitOperation(new Bulwark.Operations.BulwarkContext(Bulwark.Operations.Configuration.LoadedConfig.FromObject(
                new Bulwark.Operations.Configuration.BulwarkConfig { Repository = encrypted, State = _dir.Combine("state") }, _dir.Path,
                name => name == "BULWARK_PASSWORD" ? passphrase : null)))
            .RunAsync(encrypted, _dir.Path, new InitOptions { Encrypt = true, Kdf = Bulwark.Tests.Repository.Encryption.EncryptionTests.FastKdf }, CancellationToken.None);
        var newPassphrase = _dir.Combine("new-passphrase");
        await File.WriteAllTextAsync(newPassphrase, "a second passphrase\n");
        await using var newServer = await LocalPostgresServer.StartAsync(_dir.Path);
        // One password for both servers, as the roles restored from the snapshot carry it anyway.
        await using (var connection = new Npgsql.NpgsqlConnection(newServer.Settings("postgres").ToNpgsql().ConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new Npgsql.NpgsqlCommand($"ALTER ROLE postgres PASSWORD '{_pg.Server.Password}'", connection);
            await command.ExecuteNonQueryAsync();
        }

        var work = Directory.CreateDirectory(_dir.Combine("work")).FullName;
        var bin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        var wrapper = Path.Combine(bin, "bulwark");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {CliRunner.ShellCommand} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var restoreName = _pg.NewDatabaseName("restored");
        var side = _pg.NewDatabaseName("side");
        var sideSchema = _pg.NewDatabaseName("sideschema");
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["HOME"] = work,
            ["XDG_CONFIG_HOME"] = Path.Combine(work, ".config"),
            ["XDG_STATE_HOME"] = Path.Combine(work, ".state"),
            ["BULWARK_REPOSITORY"] = repository,
            ["DATABASE_NAME"] = database,
            ["DATABASE_URL"] = _pg.Url(database, withPassword: false),
            ["ADMIN_URL"] = _pg.Url("postgres", withPassword: false),
            ["RESTORE_NAME"] = restoreName,
            ["RESTORE_URL"] = _pg.Url(restoreName, withPassword: false),
            ["NEW_SERVER_URL"] = newServer.Url(database, withPassword: false),
            ["TABLE"] = "dups",
            ["SIDE_URL"] = _pg.Url(side, withPassword: false),
            ["SCHEMA"] = "shop",
            ["SIDE_SCHEMA_URL"] = _pg.Url(sideSchema, withPassword: false),
            ["PGPASSWORD"] = _pg.Server.Password,
            ["SECOND_REPOSITORY"] = second,
            ["ENCRYPTED_REPOSITORY"] = encrypted,
            ["BULWARK_PASSWORD"] = passphrase,
            ["NEW_PASSPHRASE_FILE"] = newPassphrase,
        };
        foreach (var variable in new[] { "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "BULWARK_CONFIG",
                                         "BULWARK_POSTGRES_URL", "BULWARK_POSTGRES_GLOBALS" })
            environment[variable] = null;

        var (code, output) = await RunAsync(scriptPath, work, environment, TimeSpan.FromMinutes(8));

        Assert.True(code == 0, $"the runbook's shell blocks failed (exit {code}):\n{output}");
        // The offsite copy holds the latest snapshot; the encrypted repository has a second passphrase.
        Assert.Single(Directory.EnumerateFiles(Path.Combine(second, "snapshots")));
        Assert.Equal(2, Directory.EnumerateFiles(Path.Combine(encrypted, "keys")).Count());
        // The ruleset was rolled back; the files came back.
        Assert.Equal("rules: [a]\n", await File.ReadAllTextAsync(Path.Combine(work, "environments", "prod", "ruleset.yml")));
        Assert.Equal("feature: on\n", await File.ReadAllTextAsync(Path.Combine(work, "restored-files", "config", "app.yml")));
        // The emergency restore switched the restored database in; the damaged one and the side databases are gone.
        Assert.Equal(2000L, await _pg.ScalarAsync<long>(database, "SELECT count(*) FROM shop.orders"));
        foreach (var gone in new[] { $"{database}_damaged", side, sideSchema })
            Assert.Null(await _pg.ScalarAsync<int?>("postgres", $"SELECT 1 FROM pg_database WHERE datname = '{gone}'"));
        Assert.Equal(301L, await ScalarAsync(newServer.Url(database).Replace("postgres@", $"postgres:{_pg.Server.Password}@", StringComparison.Ordinal),
            "SELECT count(*) FROM shop.customers"));
    }

    [Fact]
    public async Task Runbook_SupabaseSection_RunsAgainstASupabaseShapedProject()
    {
        var markdown = await File.ReadAllTextAsync(RunbookPath);
        var script = Script(markdown, SupabaseSection, "set -euo pipefail\n");
        Assert.Contains("restore latest --globals --target \"$FRESH_PROJECT_URL\"", script);
        var scriptPath = _dir.Combine("supabase.sh");
        await File.WriteAllTextAsync(scriptPath, script);

        // A project in use, a fresh project (the platform's part alone) and an empty repository.
        var project = await _supabase.CreateProjectAsync();
        var fresh = await _supabase.CreateProjectAsync(withTeam: false);
        var repository = _dir.Combine("repository");
        await new InitOperation(TestConfig.Context(_dir, null, configure: c => c.Repository = repository))
            .RunAsync(null, Directory.CreateDirectory(_dir.Combine("setup")).FullName, CancellationToken.None);
        var work = Directory.CreateDirectory(_dir.Combine("work")).FullName;
        var bin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        var wrapper = Path.Combine(bin, "bulwark");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {CliRunner.ShellCommand} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["HOME"] = work,
            ["XDG_CONFIG_HOME"] = Path.Combine(work, ".config"),
            ["XDG_STATE_HOME"] = Path.Combine(work, ".state"),
            ["BULWARK_REPOSITORY"] = repository,
            ["SUPABASE_URL"] = _supabase.Url(project),
            ["FRESH_PROJECT_URL"] = _supabase.Url(fresh),
            ["PGPASSWORD"] = _supabase.Server.Password,
        };
        foreach (var variable in new[] { "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "BULWARK_CONFIG",
                                         "BULWARK_POSTGRES_URL", "BULWARK_POSTGRES_GLOBALS", "BULWARK_POSTGRES_PROFILE" })
            environment[variable] = null;

        var (code, output) = await RunAsync(scriptPath, work, environment, TimeSpan.FromMinutes(8));

        Assert.True(code == 0, $"the runbook's Supabase blocks failed (exit {code}):\n{output}");
        Assert.Contains("supabase", output);
        foreach (var database in new[] { fresh, project })
        {
            Assert.Equal(25L, await _supabase.ScalarAsync<long>(database, "SELECT count(*) FROM auth.users"));
            // The team's trigger on auth.users did not fire during the load: one profile per user, not two.
            Assert.Equal(25L, await _supabase.ScalarAsync<long>(database, "SELECT count(*) FROM public.profiles"));
            Assert.Equal(200L, await _supabase.ScalarAsync<long>(database, "SELECT count(*) FROM public.messages"));
            Assert.Equal(1L, await _supabase.ScalarAsync<long>(database,
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'on_auth_user_created' AND tgrelid = 'auth.users'::regclass"));
            // The platform's own bookkeeping is its own.
            Assert.Equal(4L, await _supabase.ScalarAsync<long>(database, "SELECT count(*) FROM auth.schema_migrations"));
        }
    }

    [Fact]
    public async Task Runbook_PitrSection_BringsBackADroppedTableFromTheWalArchive()
    {
        var ct = TestContext.Current.CancellationToken;
        var markdown = await File.ReadAllTextAsync(RunbookPath, ct);
        var script = Script(markdown, PitrSection, "set -euo pipefail\n");
        Assert.Contains("--to-time \"$BEFORE\"", script);
        var scriptPath = _dir.Combine("pitr.sh");
        await File.WriteAllTextAsync(scriptPath, script, ct);

        // A repository, and a server that archives its WAL into it with this program and logs its DDL.
        var work = Directory.CreateDirectory(_dir.Combine("work")).FullName;
        var config = Path.Combine(work, ConfigLoader.FileName);
        await File.WriteAllTextAsync(config, $"repository: {_dir.Combine("repository")}\nstate: {_dir.Combine("state")}\n", ct);
        // Owner-only, or 'bulwark check' warns about it.
        File.SetUnixFileMode(config, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var cli = new CliRunner(work);
        Assert.Equal(0, (await cli.RunAsync("init", "--config", config)).ExitCode);
        // The server runs as 'postgres' when the tests run as root: it reads the configuration and writes the repository.
        if (Environment.UserName == "root")
            await WalCommandTests.ChownAsync(_dir.Path);
        await using var server = await ArchivingServer.StartAsync(_dir,
            $"dotnet {CliRunner.ProgramPath} wal push %p --config {config}");
        await server.ExecuteAsync("ALTER SYSTEM SET log_statement = 'ddl'");
        await server.ExecuteAsync("ALTER SYSTEM SET log_timezone = 'UTC'");
        await server.ExecuteAsync("SELECT pg_reload_conf()");
        await server.ExecuteAsync("CREATE DATABASE app");
        var app = server.Server.Url("app", withPassword: true);
        await ArchivingServer.ExecuteAsync(app,
            "CREATE TABLE orders (id int PRIMARY KEY, note text NOT NULL); INSERT INTO orders SELECT g, 'before the base backup' FROM generate_series(1, 1000) g");
        cli.With("PGPASSWORD", server.Server.Password);
        var backup = await cli.RunAsync("backup", "--physical", "--source", server.Server.Url("postgres"), "--config", config);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        // Writes the base backup does not hold (only the archive), then the mistake, then writes after it.
        await ArchivingServer.ExecuteAsync(app,
            "INSERT INTO orders SELECT g, 'after the base backup' FROM generate_series(1001, 1500) g");
        // The log's times have milliseconds: the mistake starts in a later one than the last insert's commit.
        await ArchivingServer.ExecuteAsync(app, "SELECT pg_sleep(0.01)");
        await ArchivingServer.ExecuteAsync(app, "DROP TABLE orders");
        await ArchivingServer.ExecuteAsync(app, "CREATE TABLE customers (id int); INSERT INTO customers VALUES (1)");
        await ArchivingServer.ArchiveCurrentSegmentAsync(server.Url());

        var bin = Directory.CreateDirectory(_dir.Combine("bin")).FullName;
        var wrapper = Path.Combine(bin, "bulwark");
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec dotnet \"{CliRunner.ProgramPath}\" \"$@\"\n", ct);
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pitrDirectory = _dir.Combine("pitr");
        var port = FreePort();
        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["HOME"] = work,
            ["XDG_CONFIG_HOME"] = Path.Combine(work, ".config"),
            ["XDG_STATE_HOME"] = Path.Combine(work, ".state"),
            ["DATABASE_NAME"] = "app",
            ["DATABASE_URL"] = server.Server.Url("app"),
            ["TABLE"] = "orders",
            ["PGLOG"] = server.Server.LogFile,
            ["PITR_DIR"] = pitrDirectory,
            ["PITR_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["PGPASSWORD"] = server.Server.Password,
        };
        foreach (var variable in new[] { "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGPASSFILE", "BULWARK_CONFIG",
                                         "BULWARK_REPOSITORY", "BULWARK_POSTGRES_URL", "BULWARK_POSTGRES_GLOBALS" })
            environment[variable] = null;

        var (code, output) = await RunAsync(scriptPath, work, environment, TimeSpan.FromMinutes(8));
        var restored = server.Restored(pitrDirectory, port, "app");

        Assert.True(code == 0, $"the runbook's point-in-time blocks failed (exit {code}):\n{output}");
        // The copy holds every row written before the mistake, none after it; the table is back beside the later writes.
        Assert.Equal(1500L, await ArchivingServer.ScalarAsync<long>(restored, "SELECT count(*) FROM orders"));
        Assert.Equal(0L, await ArchivingServer.ScalarAsync<long>(restored, "SELECT count(*) FROM pg_class WHERE relname = 'customers'"));
        Assert.Equal(1500L, await ArchivingServer.ScalarAsync<long>(app, "SELECT count(*) FROM orders"));
        Assert.Equal(1L, await ArchivingServer.ScalarAsync<long>(app, "SELECT count(*) FROM customers"));
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<long> ScalarAsync(string url, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(PgConnectionSettings.Resolve(url, _ => null).ToNpgsql().ConnectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<(int Code, string Output)> RunAsync(string script, string workingDirectory,
        IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        info.ArgumentList.Add(script);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                info.Environment.Remove(key);
            else
                info.Environment[key] = value;
        }
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = new StringBuilder();
        var gate = new Lock();
        void Add(string? line)
        {
            if (line is null)
                return;
            lock (gate)
                output.AppendLine(line);
        }
        process.OutputDataReceived += (_, e) => Add(e.Data);
        process.ErrorDataReceived += (_, e) => Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"timed out after {timeout}\n{output}");
        }
        process.WaitForExit();
        lock (gate)
            return (process.ExitCode, output.ToString());
    }

    [GeneratedRegex(@"^```([a-z-]+)\n(.*?)^```\s*$", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencePattern();
}
