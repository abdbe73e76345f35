using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Bulwark.Repository.Wal;
using Bulwark.Storage.Local;

namespace Bulwark.Operations.Wal;

/// <summary>
/// 'wal push --async': PostgreSQL archives one segment at a time and waits for each; a background pusher started by
/// the first push works ahead, storing the segments PostgreSQL has marked ready (pg_wal/archive_status/*.ready) with
/// one process, one repository open (one key derivation) and several puts at once. For each file it has stored, it
/// leaves a receipt in the spool (STATE/wal-async/LOCATION/done/NAME: the SHA-256 and length of the bytes it put),
/// written only after the put returned. "0 means durable" holds because a push returns 0 only when either a receipt
/// matches the SHA-256 and length of the file PostgreSQL passes now (those very bytes are durable in the repository),
/// or it stored the file itself, as a plain push does.
/// </summary>
public sealed class WalAsyncArchiver
{
    /// <summary>Puts the background pusher runs at once.</summary>
    public const int Concurrency = 4;

    private static readonly TimeSpan IdleExit = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReceiptLifetime = TimeSpan.FromDays(1);
    private readonly BulwarkContext _context;

    public WalAsyncArchiver(BulwarkContext context)
    {
        _context = context;
    }

    /// <summary>The spool of this repository location.</summary>
    public string Spool => Path.Combine(_context.Config.StateDirectory, "wal-async",
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(_context.RepositoryLocation)))[..16]);

    private string ReceiptPath(string name) => Path.Combine(Spool, "done", name);

    /// <summary>
    /// The push PostgreSQL runs: true when a receipt proves <paramref name="path"/> already stored; otherwise it makes
    /// sure a background pusher runs for the file's folder and returns false (the caller then pushes the file itself).
    /// </summary>
    public async Task<bool> TryReceiptAsync(string path, Func<IReadOnlyList<string>>? backgroundCommand, CancellationToken cancellationToken)
    {
        var name = Path.GetFileName(path);
        var receipt = ReceiptPath(name);
        if (File.Exists(receipt))
        {
            var recorded = await File.ReadAllTextAsync(receipt, cancellationToken).ConfigureAwait(false);
            var matches = recorded.Trim() == await FingerprintAsync(path, cancellationToken).ConfigureAwait(false);
            File.Delete(receipt);
            if (matches)
                return true;
        }
        if (backgroundCommand is not null)
            StartBackground(backgroundCommand());
        return false;
    }

    private void StartBackground(IReadOnlyList<string> command)
    {
        OwnerOnly.CreateFolder(Spool);
        // Held by a running pusher: no second one starts.
        if (IsRunning())
            return;
        var info = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add("sh");
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$@\" </dev/null >/dev/null 2>&1");
        info.ArgumentList.Add("sh");
        foreach (var argument in command)
            info.ArgumentList.Add(argument);
        try
        {
            using var process = Process.Start(info);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            // Without a pusher ahead, every push stores its own file: slower, not less safe.
            _context.Warning?.Invoke($"could not start the background WAL pusher: {e.Message}");
        }
    }

    private bool IsRunning()
    {
        try
        {
            using var probe = new FileStream(Path.Combine(Spool, "pusher.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>
    /// The background pusher: stores every ready file in <paramref name="walFolder"/> that has no receipt yet,
    /// <see cref="Concurrency"/> at a time, until none has come for a few seconds. Returns how many it stored.
    /// </summary>
    public async Task<int> RunBackgroundAsync(string walFolder, CancellationToken cancellationToken)
    {
        OwnerOnly.CreateFolder(Path.Combine(Spool, "done"));
        FileStream held;
        try
        {
            held = new FileStream(Path.Combine(Spool, "pusher.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return 0;
        }
        await using (held.ConfigureAwait(false))
        {
            RemoveOldReceipts();
            var repository = await _context.OpenRepositoryAsync(cancellationToken).ConfigureAwait(false);
            await using (repository.ConfigureAwait(false))
            {
                var stored = 0;
                var idleSince = _context.Time.GetUtcNow();
                var failed = new HashSet<string>(StringComparer.Ordinal);
                while (_context.Time.GetUtcNow() - idleSince < IdleExit)
                {
                    var ready = Ready(walFolder).Where(n => !failed.Contains(n) && !File.Exists(ReceiptPath(n))).Take(Concurrency * 4).ToList();
                    if (ready.Count == 0)
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(200), _context.Time, cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    await Parallel.ForEachAsync(ready, new ParallelOptions { MaxDegreeOfParallelism = Concurrency, CancellationToken = cancellationToken },
                        async (name, ct) =>
                        {
                            var path = Path.Combine(walFolder, name);
                            try
                            {
                                var fingerprint = await FingerprintAsync(path, ct).ConfigureAwait(false);
                                await repository.Wal.PutFileAsync(WalFileName.Parse(name), path, ct).ConfigureAwait(false);
                                await AtomicFile.WriteAsync(ReceiptPath(name), Encoding.ASCII.GetBytes(fingerprint + "\n"),
                                    new AtomicWriteOptions { SyncDirectory = false }, ct).ConfigureAwait(false);
                                Interlocked.Increment(ref stored);
                            }
                            catch (Exception e) when (e is BulwarkException or IOException)
                            {
                                // The foreground push of this file meets the same failure and reports it.
                                lock (failed)
                                    failed.Add(name);
                            }
                        }).ConfigureAwait(false);
                    idleSince = _context.Time.GetUtcNow();
                }
                return stored;
            }
        }
    }

    /// <summary>Names of the files PostgreSQL has marked ready to archive, oldest first (history files first, as it does).</summary>
    private static IEnumerable<string> Ready(string walFolder)
    {
        var status = Path.Combine(walFolder, "archive_status");
        if (!Directory.Exists(status))
            return [];
        return Directory.EnumerateFiles(status, "*.ready")
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(n => WalFileName.TryParse(n, out _) && File.Exists(Path.Combine(walFolder, n)))
            .OrderBy(n => n.EndsWith(".history", StringComparison.Ordinal) ? 0 : 1).ThenBy(n => n, StringComparer.Ordinal);
    }

    private void RemoveOldReceipts()
    {
        var done = Path.Combine(Spool, "done");
        var now = _context.Time.GetUtcNow();
        foreach (var receipt in Directory.EnumerateFiles(done))
        {
            if (now - File.GetLastWriteTimeUtc(receipt) > ReceiptLifetime || AtomicFile.IsTemporaryName(Path.GetFileName(receipt)))
                File.Delete(receipt);
        }
    }

    /// <summary>"SHA256HEX LENGTH" of a file's bytes.</summary>
    private static async Task<string> FingerprintAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false);
        return $"{Convert.ToHexStringLower(hash)} {stream.Length}";
    }
}
