using System.Text;
using Bulwark.Sources.Postgres.Archive;
using Npgsql;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Executes the SQL script pg_restore writes for the chosen entries (pg_restore --verbose -f -) on one connection,
/// inside the caller's transaction, never through psql: the archive is repository content, and a backslash command in
/// it must not run here. The script is cut into its entries at pg_restore's "-- TOC entry N" headers; SQL goes through
/// NpgsqlCommand, and the data of a TABLE DATA entry (recognised by that entry's own COPY statement) through COPY.
/// An addition to a platform object runs under a savepoint: when the target refuses it, it is rolled back and named.
/// </summary>
internal sealed class ScriptExecutor
{
    private const string TocHeader = "-- TOC entry ";
    private const string Savepoint = "bulwark_addition";

    private readonly NpgsqlConnection _connection;
    private readonly RestorePlan _plan;
    private readonly Dictionary<int, ArchiveTocEntry> _entries;
    private readonly HashSet<string> _additionDrops;
    private readonly Func<CancellationToken, Task> _beforeFirstEntry;
    private readonly HashSet<string> _keptFunctionDrops;
    private readonly HashSet<int> _keptFunctions;
    private readonly StringBuilder _pending = new();
    private bool _pendingHasSql;
    private ArchiveTocEntry? _current;

    /// <param name="keptFunctions">
    /// Functions ("schema.name(types)") that triggers the target would not let go of still use: they are replaced in
    /// place (CREATE OR REPLACE) rather than dropped and created.
    /// </param>
    public ScriptExecutor(NpgsqlConnection connection, RestorePlan plan, IReadOnlySet<string> keptFunctions,
        Func<CancellationToken, Task> beforeFirstEntry)
    {
        _connection = connection;
        _plan = plan;
        _entries = plan.Listed.ToDictionary(e => e.DumpId);
        _additionDrops = plan.Listed.Where(e => plan.IsAddition(e.DumpId) && !string.IsNullOrEmpty(e.DropStatement))
            .Select(e => e.DropStatement!.Trim()).ToHashSet(StringComparer.Ordinal);
        _beforeFirstEntry = beforeFirstEntry;
        var kept = plan.Listed.Where(e => e.Description == "FUNCTION" && keptFunctions.Contains($"{e.Namespace}.{e.Tag}")).ToList();
        _keptFunctions = kept.Select(e => e.DumpId).ToHashSet();
        _keptFunctionDrops = kept.Where(e => !string.IsNullOrEmpty(e.DropStatement)).Select(e => e.DropStatement!.Trim())
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Additions applied.</summary>
    public List<string> Applied { get; } = [];

    /// <summary>Additions the target refused (rolled back to their savepoint).</summary>
    public List<RestoreSkip> Refused { get; } = [];

    /// <summary>The dump ids of the additions refused.</summary>
    public HashSet<int> RefusedEntries { get; } = [];

    /// <summary>Rows loaded per platform table ("auth.users").</summary>
    public Dictionary<string, long> PlatformRows { get; } = new(StringComparer.Ordinal);

    public async Task RunAsync(Stream script, CancellationToken cancellationToken)
    {
        var reader = new ScriptLineReader(script);
        var started = false;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.StartsWith(TocHeader, StringComparison.Ordinal))
            {
                await FlushAsync(started, cancellationToken).ConfigureAwait(false);
                if (!started)
                {
                    started = true;
                    await _beforeFirstEntry(cancellationToken).ConfigureAwait(false);
                }
                _current = _entries.GetValueOrDefault(DumpId(line))
                           ?? throw new ScriptException(null, $"the script holds entry {line[TocHeader.Length..]}, which was not chosen");
                Append(line);
                continue;
            }
            if (IsRestrictLine(line))
                continue; // pg_dump's own guard against running the script in psql: nothing to execute
            if (_current is { Description: "TABLE DATA", CopyStatement: { } copy } && line == copy.TrimEnd('\n'))
            {
                await FlushAsync(started, cancellationToken).ConfigureAwait(false);
                await CopyAsync(_current, line, reader, cancellationToken).ConfigureAwait(false);
                continue;
            }
            // Before the first entry (settings, and the DROPs of --clean) every statement is one line.
            if (!started && line.Length > 0 && !line.StartsWith("--", StringComparison.Ordinal))
            {
                Append(line);
                if (line.TrimEnd().EndsWith(';'))
                    await FlushPreambleStatementAsync(cancellationToken).ConfigureAwait(false);
                continue;
            }
            Append(line);
        }
        await FlushAsync(started, cancellationToken).ConfigureAwait(false);
        if (!started)
            await _beforeFirstEntry(cancellationToken).ConfigureAwait(false);
    }

    private void Append(string line)
    {
        _pending.Append(line).Append('\n');
        if (line.Length > 0 && !line.StartsWith("--", StringComparison.Ordinal))
            _pendingHasSql = true;
    }

    private async Task FlushPreambleStatementAsync(CancellationToken cancellationToken)
    {
        var statement = _pending.ToString().Trim();
        var withoutIfExists = statement.Replace(" IF EXISTS", "", StringComparison.Ordinal);
        if (_keptFunctionDrops.Contains(withoutIfExists))
        {
            _pending.Clear();
            _pendingHasSql = false;
            return;
        }
        // A DROP of an addition on a platform table (--clean) may be refused like the addition itself.
        var addition = _additionDrops.Contains(withoutIfExists);
        await ExecutePendingAsync(addition ? statement : null, null, cancellationToken).ConfigureAwait(false);
    }

    private async Task FlushAsync(bool started, CancellationToken cancellationToken)
    {
        if (!started || _current is null)
        {
            await ExecutePendingAsync(null, null, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (_keptFunctions.Contains(_current.DumpId))
        {
            var create = _pending.ToString();
            var at = create.IndexOf("\nCREATE FUNCTION ", StringComparison.Ordinal);
            if (at >= 0)
            {
                _pending.Clear().Append(create, 0, at).Append("\nCREATE OR REPLACE FUNCTION ").Append(create, at + 17, create.Length - at - 17);
            }
        }
        if (!_plan.IsAddition(_current.DumpId))
        {
            await ExecutePendingAsync(null, _current, cancellationToken).ConfigureAwait(false);
            return;
        }
        var hasSql = _pendingHasSql;
        if (!await ExecutePendingAsync(Display(_current), _current, cancellationToken).ConfigureAwait(false))
            RefusedEntries.Add(_current.DumpId);
        else if (hasSql)
            Applied.Add(Display(_current));
    }

    /// <summary>
    /// Runs what is pending; under a savepoint when <paramref name="addition"/> names an addition, which is named in
    /// <see cref="Refused"/> when the target refuses it. Returns false when it was refused.
    /// </summary>
    private async Task<bool> ExecutePendingAsync(string? addition, ArchiveTocEntry? entry, CancellationToken cancellationToken)
    {
        var sql = _pending.ToString();
        var hasSql = _pendingHasSql;
        _pending.Clear();
        _pendingHasSql = false;
        if (!hasSql)
            return true;
        if (addition is null)
        {
            try
            {
                await ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e)
            {
                throw new ScriptException(entry is null ? null : Display(entry), $"{e.SqlState}: {e.MessageText}", e);
            }
            return true;
        }
        await ExecuteAsync($"SAVEPOINT {Savepoint}", cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync(sql, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync($"RELEASE SAVEPOINT {Savepoint}", cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (PostgresException e)
        {
            await ExecuteAsync($"ROLLBACK TO SAVEPOINT {Savepoint}", cancellationToken).ConfigureAwait(false);
            Refused.Add(new RestoreSkip(addition, $"the target refused it ({e.SqlState}: {e.MessageText})"));
            return false;
        }
    }

    /// <summary>Applies one of the team's grants on a platform object under a savepoint.</summary>
    public async Task GrantAsync(PlatformGrant grant, CancellationToken cancellationToken)
    {
        Append(grant.Sql);
        var what = $"{grant.Sql} ({grant.Object})";
        if (await ExecutePendingAsync(what, null, cancellationToken).ConfigureAwait(false))
            Applied.Add(what);
    }

    /// <summary>The line that ends a COPY's data in the script.</summary>
    private static readonly byte[] EndOfData = "\\."u8.ToArray();

    private async Task CopyAsync(ArchiveTocEntry entry, string copy, ScriptLineReader reader, CancellationToken cancellationToken)
    {
        long rows = 0;
        try
        {
            var writer = await _connection.BeginTextImportAsync(copy, cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                // The rows pass as the script's bytes (UTF-8, the session's encoding): no decoding and encoding per row.
                var raw = ((StreamWriter)writer).BaseStream;
                rows = await reader.CopyLinesUntilAsync(raw, EndOfData, cancellationToken).ConfigureAwait(false);
                if (rows < 0)
                    throw new ScriptException(Display(entry), "the script ended inside the data of this table");
            }
        }
        catch (PostgresException e)
        {
            throw new ScriptException(Display(entry), $"{e.SqlState}: {e.MessageText}", e);
        }
        if (_plan.PlatformData.Contains(entry))
            PlatformRows[$"{entry.Namespace}.{entry.Tag}"] = rows;
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, _connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static int DumpId(string header)
    {
        var rest = header.AsSpan(TocHeader.Length);
        var space = rest.IndexOf(' ');
        return int.TryParse(space < 0 ? rest : rest[..space], System.Globalization.NumberStyles.None,
            System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ScriptException(null, $"cannot read the entry header '{header}'");
    }

    private static bool IsRestrictLine(string line) =>
        (line.StartsWith("\\restrict ", StringComparison.Ordinal) || line.StartsWith("\\unrestrict ", StringComparison.Ordinal)) &&
        line.IndexOf(' ', StringComparison.Ordinal) == line.LastIndexOf(' ');

    /// <summary>"trigger auth.users on_auth_user_created".</summary>
    internal static string Display(ArchiveTocEntry entry) =>
        $"{entry.Description.ToLowerInvariant()} {(string.IsNullOrEmpty(entry.Namespace) ? "" : entry.Namespace + ".")}{entry.Tag}";
}
