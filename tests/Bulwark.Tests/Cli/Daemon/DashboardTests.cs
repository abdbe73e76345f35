using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bulwark.Operations.Dashboard;
using Bulwark.Repository;
using Bulwark.Repository.Snapshots;
using Bulwark.Tests.Infrastructure;

namespace Bulwark.Tests.Cli.Daemon;

/// <summary>
/// The daemon's dashboard in a real Chromium (playwright-core from tools/node, the distribution's chromium), against a
/// repository with weeks of snapshots of two databases, a failed drill and a WARNING check.
/// </summary>
public sealed partial class DashboardTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    private static string Chromium =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("chromium is missing: install the distribution's 'chromium' package (.ci/run does)");

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Two databases, snapshots every day for 40 days (a day of 'billing' missing), drills, one failed.</summary>
    private async Task<DateTimeOffset> MakeRepositoryAsync()
    {
        var repo = await SyntheticRepository.CreateAsync(_directory.Combine("repo"));
        var now = DateTimeOffset.UtcNow;
        var start = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(-40).AddHours(2);
        Snapshot? failedDrill = null, passedDrill = null, billingDrill = null;
        for (var day = 0; day <= 40; day++)
        {
            var time = start.AddDays(day);
            if (time > now.AddHours(-3))
                break;
            var grown = 10 + day / 4;
            var app = await repo.AddSnapshotAsync(Enumerable.Range(day / 4, grown), time, "app", fast: true, source: "app",
                duration: TimeSpan.FromSeconds(40 + day % 7 * 5),
                statistics: new BackupStatistics { NewBytes = 256L * (1 + day % 3), StoredBytes = 200L * (1 + day % 3) });
            if (day != 20)
                billingDrill = await repo.AddSnapshotAsync(Enumerable.Range(1000 + day, 5), time.AddMinutes(30), "billing", fast: true, source: "billing",
                    duration: TimeSpan.FromSeconds(10), statistics: new BackupStatistics { NewBytes = 1280 });
            if (day == 30)
                failedDrill = app;
            if (day == 36)
                passedDrill = app;
        }
        // The newest backup is 3 hours old: past the 2h warning of the configuration below.
        await repo.AddSnapshotAsync(Enumerable.Range(500, 12), now.AddHours(-3), "app", fast: true, source: "app",
            statistics: new BackupStatistics { NewBytes = 3072 });
        await repo.Repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
        {
            Snapshot = failedDrill!.Id.ToString(), Kind = ProofRecord.Drill, Passed = false, Time = failedDrill.Manifest.Time.AddHours(2),
            Summary = "restore drill found 1 difference: public.orders rows 10 != 9",
            Details = new Dictionary<string, string> { ["restoreSeconds"] = "12.5" },
        }, Ct);
        await repo.Repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
        {
            Snapshot = passedDrill!.Id.ToString(), Kind = ProofRecord.Drill, Passed = true, Time = passedDrill.Manifest.Time.AddHours(2),
            Summary = "2 tables match", Details = new Dictionary<string, string> { ["restoreSeconds"] = "9.25" },
        }, Ct);
        await repo.Repository.AppendEventAsync(RepositoryLayout.ProofEvents, new ProofRecord
        {
            Snapshot = billingDrill!.Id.ToString(), Kind = ProofRecord.Drill, Passed = true, Time = billingDrill.Manifest.Time.AddHours(1),
            Summary = "1 table matches", Details = new Dictionary<string, string> { ["restoreSeconds"] = "3" },
        }, Ct);
        return now;
    }

    private async Task WriteConfigAsync(string listen, string? tokenFile = null)
    {
        await File.WriteAllTextAsync(_directory.Combine("bulwark.yml"), $"""
            repository: ./repo
            state: ./state
            sources:
              - name: app
                postgres:
                  url: postgres://backup@127.0.0.1:9/app
              - name: billing
                postgres:
                  url: postgres://backup@127.0.0.1:9/billing
                schedule:
                  backup: "30 2 * * *"
                retention:
                  keep-daily: 3
            schedule:
              backup: "0 2 * * *"
              cleanup: "0 3 * * 0"
              drill: off
              check: "*/30 * * * *"
            retention:
              keep-daily: 7
              keep-weekly: 4
            check:
              backup-age-warning: 2h
              backup-age-critical: 50h
              disk-free-warning: off
              disk-free-critical: off
              drill-age-warning: off
            daemon:
              listen: {listen}
            {(tokenFile is null ? "" : $"  token-file: {tokenFile}")}
            """, Ct);
        File.SetUnixFileMode(_directory.Combine("bulwark.yml"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    /// <summary>'bulwark daemon' in a child process whose output is read while it runs (for the login link).</summary>
    private sealed class Daemon : IDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines = new();

        public Daemon(string directory, params string[] arguments)
        {
            var info = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
                UseShellExecute = false, WorkingDirectory = directory,
            };
            info.ArgumentList.Add(CliRunner.ProgramPath);
            info.ArgumentList.Add("daemon");
            foreach (var argument in arguments)
                info.ArgumentList.Add(argument);
            _process = Process.Start(info)!;
            _process.StandardInput.Close();
            _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Output => string.Join('\n', _lines);

        public async Task<string> WaitForLineAsync(Regex pattern, int seconds = 90)
        {
            var deadline = DateTime.UtcNow.AddSeconds(seconds);
            while (DateTime.UtcNow < deadline)
            {
                if (_lines.Select(l => pattern.Match(l)).FirstOrDefault(m => m.Success) is { } match)
                    return match.Groups[1].Value;
                if (_process.HasExited)
                    throw new InvalidOperationException($"daemon exited with {_process.ExitCode}:\n{Output}");
                await Task.Delay(100);
            }
            throw new TimeoutException($"no line matched {pattern}:\n{Output}");
        }

        public async Task<int> StopAsync()
        {
            if (!_process.HasExited)
                Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])!.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await _process.WaitForExitAsync(timeout.Token);
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }
    }

    private static async Task<HttpResponseMessage> GetWhenReadyAsync(string url, string? token = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            if (token is not null)
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            try
            {
                return await Http.SendAsync(request, Ct);
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, Ct);
            }
        }
    }

    /// <summary>Runs tools/node/dashboard-check.js and returns what it saw.</summary>
    private async Task<JsonElement> BrowseAsync(object options)
    {
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            WorkingDirectory = Path.Combine(TestServerProcess.RepositoryRoot, "tools", "node"),
        };
        info.ArgumentList.Add("dashboard-check.js");
        info.ArgumentList.Add(JsonSerializer.Serialize(options));
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"browser script failed:\n{await stderr}");
        return JsonDocument.Parse(await stdout).RootElement;
    }

    private static string Value(JsonElement e, string name) => e.GetProperty(name).GetString() ?? "";

    [Fact]
    public async Task Dashboard_ShowsTheNumbersOfStatusJson_InChromium_WithChartsAndNoConsoleErrors()
    {
        await MakeRepositoryAsync();
        var port = FreePort();
        await WriteConfigAsync($"127.0.0.1:{port}");
        var json = await new CliRunner(_directory.Path).RunAsync("status", "--json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var status = JsonDocument.Parse(json.Stdout).RootElement;

        using var daemon = new Daemon(_directory.Path);
        var address = await daemon.WaitForLineAsync(ListeningLine());
        using (var first = await GetWhenReadyAsync($"{address}/"))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var screenshot = Path.Combine(TestServerProcess.RepositoryRoot, "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        var seen = await BrowseAsync(new { url = $"{address}/", chromium = Chromium, screenshot });
        var dark = await BrowseAsync(new { url = $"{address}/", chromium = Chromium, colorScheme = "dark",
            screenshot = Path.Combine(TestServerProcess.RepositoryRoot, "artifacts", "dashboard-dark.png") });
        var css = await Http.GetStringAsync($"{address}/dashboard.css", Ct);
        var js = await Http.GetStringAsync($"{address}/dashboard.js", Ct);
        var html = await Http.GetStringAsync($"{address}/", Ct);
        Assert.Equal(0, await daemon.StopAsync());
        // A table that shows its newest rows links the rest for a person, in words a person reads.
        Assert.Contains("<p class=\"muted rest\">The other ", html);
        Assert.Contains("<a href=\"/status\">every row as data (JSON)</a>", html);
        Assert.DoesNotContain("all in /status", html);
        output.WriteLine($"dashboard screenshot: {screenshot}");

        Assert.Equal(200, seen.GetProperty("status").GetInt32());
        Assert.Empty(seen.GetProperty("consoleErrors").EnumerateArray());
        Assert.Empty(seen.GetProperty("pageErrors").EnumerateArray());
        Assert.Empty(dark.GetProperty("consoleErrors").EnumerateArray());
        var headers = seen.GetProperty("headers");
        Assert.Contains("frame-ancestors 'none'", Value(headers, "content-security-policy"));
        Assert.DoesNotContain("unsafe-inline", Value(headers, "content-security-policy"));
        Assert.Equal("DENY", Value(headers, "x-frame-options"));
        Assert.Equal("nosniff", Value(headers, "x-content-type-options"));
        Assert.Equal("no-referrer", Value(headers, "referrer-policy"));
        Assert.True(File.Exists(screenshot) && new FileInfo(screenshot).Length > 10_000, "no screenshot");

        var page = seen.GetProperty("page");
        var weight = page.GetProperty("bytes").GetInt32() + css.Length + js.Length;
        Assert.True(weight <= 300 * 1024, $"page and its files weigh {weight} bytes");
        // Four charts per source, each with marks drawn and its numbers as text beside it.
        var charts = page.GetProperty("charts").EnumerateArray().ToList();
        Assert.Equal(8, charts.Count);
        foreach (var chart in charts)
        {
            Assert.True(chart.GetProperty("marks").GetInt32() > 0, $"{chart.GetProperty("id")} has no marks");
            Assert.True(chart.GetProperty("drawn").GetBoolean(), $"{chart.GetProperty("id")} has marks of no size");
            Assert.True(chart.GetProperty("hasText").GetBoolean(), $"{chart.GetProperty("id")} has no numbers beside it");
        }
        Assert.Equal(1, charts.Single(c => c.GetProperty("id").GetString() == "s-app-drills").GetProperty("failed").GetInt32());

        // The numbers shown are those of 'status --json'.
        var now = status.GetProperty("time").GetDateTimeOffset();
        var sources = page.GetProperty("sources").EnumerateArray().ToDictionary(s => Value(s, "source"));
        var expected = status.GetProperty("sources").EnumerateArray().ToDictionary(s => Value(s, "name"));
        Assert.Equal(["app", "billing"], sources.Keys.Order());
        Assert.Equal(["app", "billing"], expected.Keys.Order());
        foreach (var (name, shown) in sources)
        {
            var mine = expected[name].GetProperty("history").EnumerateArray().ToList();
            var myDrills = expected[name].GetProperty("drills").EnumerateArray().ToList();
            var myDecisions = expected[name].GetProperty("retention").GetProperty("snapshots").EnumerateArray().ToList();
            Assert.Equal(Value(expected[name].GetProperty("lastBackup"), "id"), Value(mine[^1], "id"));
            var last = mine[^1];
            Assert.Equal(Value(last, "id"), Value(shown, "lastSnapshot"));
            Assert.Equal(last.GetProperty("size").GetInt64().ToString(CultureInfo.InvariantCulture), Value(shown, "lastSize"));
            var duration = (last.GetProperty("endTime").GetDateTimeOffset() - last.GetProperty("time").GetDateTimeOffset()).TotalSeconds;
            Assert.Equal(duration, double.Parse(Value(shown, "lastDuration"), CultureInfo.InvariantCulture));
            Assert.Equal(mine.Count.ToString(CultureInfo.InvariantCulture), Value(shown, "count90"));
            Assert.Equal(mine.Count(h => h.GetProperty("time").GetDateTimeOffset() >= now.AddDays(-30)).ToString(CultureInfo.InvariantCulture), Value(shown, "count30"));
            Assert.Equal(mine.Sum(h => h.GetProperty("newBytes").GetInt64()).ToString(CultureInfo.InvariantCulture), Value(shown, "addedTotal"));
            var sizes = shown.GetProperty("backupSizes").EnumerateArray().ToDictionary(r => Value(r, "snapshot"), r => Value(r, "size"));
            // The table shows the newest rows; the rest are in /status.
            Assert.Equal(mine.OrderBy(h => h.GetProperty("time").GetDateTimeOffset()).TakeLast(DashboardPage.TableRows)
                .ToDictionary(h => Value(h, "id"), h => h.GetProperty("size").GetInt64().ToString(CultureInfo.InvariantCulture)), sizes);
            Assert.Equal(myDrills.Count(d => d.GetProperty("passed").GetBoolean()).ToString(CultureInfo.InvariantCulture), Value(shown, "drillsPassed"));
            Assert.Equal(myDrills.Count(d => !d.GetProperty("passed").GetBoolean()).ToString(CultureInfo.InvariantCulture), Value(shown, "drillsFailed"));
            Assert.Equal(myDecisions.Count(d => d.GetProperty("keep").GetBoolean()).ToString(CultureInfo.InvariantCulture), Value(shown, "kept"));
            Assert.Equal(myDecisions.Count(d => !d.GetProperty("keep").GetBoolean()).ToString(CultureInfo.InvariantCulture), Value(shown, "going"));
            Assert.NotEqual("0", Value(shown, "going"));
        }
        Assert.Equal("1", Value(sources["app"], "drillsFailed"));
        Assert.Equal("1", Value(sources["billing"], "drillsPassed"));
        Assert.Contains("keep-daily 3", Value(expected["billing"].GetProperty("retention"), "policy"));
        var checks = page.GetProperty("checks").EnumerateArray().ToList();
        Assert.Contains(checks, c => Value(c, "check") == "backup-age" && Value(c, "state").EndsWith("WARNING", StringComparison.Ordinal));
        Assert.Equal(status.GetProperty("jobs").EnumerateArray().Select(j => Value(j, "job")), page.GetProperty("jobs").EnumerateArray().Select(j => j.GetString()));
    }

    [Fact]
    public async Task Daemon_RefusesToStart_OnNonLoopbackAddress_WithoutTokenFile()
    {
        await MakeRepositoryAsync();
        await WriteConfigAsync($"0.0.0.0:{FreePort()}");
        var result = await new CliRunner(_directory.Path).RunAsync("daemon");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("refusing to listen on 0.0.0.0", result.Stderr + result.Stdout);
        Assert.Contains("token-file", result.Stderr + result.Stdout);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public async Task Dashboard_RequiresTheToken_OnNonLoopbackAddress_AndTheLoginLinkWorksOnce()
    {
        await MakeRepositoryAsync();
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await File.WriteAllTextAsync(_directory.Combine("daemon.token"), token + "\n", Ct);
        var port = FreePort();
        await WriteConfigAsync($"0.0.0.0:{port}", "daemon.token");
        using var daemon = new Daemon(_directory.Path);
        var login = await daemon.WaitForLineAsync(LoginLine());
        Assert.DoesNotContain(token, daemon.Output);
        var url = $"http://127.0.0.1:{port}";
        foreach (var path in new[] { "/", "/status", "/health", "/metrics", "/dashboard.js" })
        {
            using var refused = await GetWhenReadyAsync(url + path);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("DENY", refused.Headers.GetValues("X-Frame-Options").Single());
            using var wrong = await GetWhenReadyAsync(url + path, token[..^1] + (token[^1] == '0' ? "1" : "0"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var allowed = await GetWhenReadyAsync(url + "/status", token))
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        using (var post = await Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, url + "/") { Headers = { Authorization = new("Bearer", token) } }, Ct))
            Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);

        var loginUrl = login.Replace("http://0.0.0.0:", "http://127.0.0.1:", StringComparison.Ordinal);
        var seen = await BrowseAsync(new { url = url + "/", loginUrl, chromium = Chromium });
        var exit = await daemon.StopAsync();
        Assert.True(exit == 0, $"daemon exited with {exit}:\n{daemon.Output}");

        Assert.Equal(401, seen.GetProperty("withoutToken").GetProperty("status").GetInt32());
        Assert.Equal(200, seen.GetProperty("afterLogin").GetProperty("status").GetInt32());
        Assert.Equal(url + "/", seen.GetProperty("afterLogin").GetProperty("url").GetString());
        Assert.Equal(401, seen.GetProperty("loginReused").GetInt32());
        Assert.Equal(200, seen.GetProperty("status").GetInt32());
        Assert.Empty(seen.GetProperty("consoleErrors").EnumerateArray());
        Assert.Equal(8, seen.GetProperty("page").GetProperty("charts").GetArrayLength());
    }

    [Fact]
    public async Task StatusHtml_WritesOneSelfContainedPage_WithoutScript()
    {
        await MakeRepositoryAsync();
        await WriteConfigAsync("off");
        var result = await new CliRunner(_directory.Path).RunAsync("status", "--html", "report.html");
        Assert.True(result.ExitCode == 0, result.ToString());
        var html = await File.ReadAllTextAsync(_directory.Combine("report.html"), Ct);
        Assert.Contains("<style>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.Equal(8, Regex.Matches(html, "<svg class=\"chart\"").Count);
        Assert.Contains("Source billing", html);
        Assert.Contains("are listed by <code>bulwark status --json</code>", html);
        Assert.DoesNotContain("href=\"/status\"", html);
        Assert.Equal(["report.html"], Directory.GetFiles(_directory.Path, "report*").Select(Path.GetFileName));
    }

    [GeneratedRegex(@"listening on (http://[0-9.:]+)")]
    private static partial Regex ListeningLine();

    [GeneratedRegex(@"login link .*: (http://\S+/login\?code=[0-9a-f]+)")]
    private static partial Regex LoginLine();
}
