using System.Text.RegularExpressions;
using Bulwark.Sources.Postgres.Archive;

namespace Bulwark.Sources.Postgres.Supabase;

/// <summary>
/// Which entries of a Supabase snapshot's archive a restore into a project takes: the team's objects (everything
/// outside the platform's schemas; an extension only when the target lacks it), the rows of platform tables, and the
/// team's additions to platform objects (triggers calling the team's functions, policies, publication membership,
/// grants to the team's roles). Everything else is the platform's own and the target has it already; each is named in
/// <see cref="Skipped"/> with the reason.
/// </summary>
public sealed partial class RestorePlan
{
    private readonly HashSet<int> _listed = [];
    private readonly HashSet<int> _additions = [];
    private readonly List<ArchiveTocEntry> _listedEntries = [];
    private readonly List<ArchiveTocEntry> _platformData = [];
    private readonly List<PlatformGrant> _grants = [];
    private readonly List<RestoreSkip> _skipped = [];
    private int _platformGrants;

    private RestorePlan(SupabasePlatform platform)
    {
        Platform = platform;
    }

    public SupabasePlatform Platform { get; }

    /// <summary>The entries given to pg_restore (-L), in the archive's order.</summary>
    public IReadOnlyList<ArchiveTocEntry> Listed => _listedEntries;

    /// <summary>TABLE DATA and SEQUENCE SET entries of platform tables: the team's rows in them.</summary>
    public IReadOnlyList<ArchiveTocEntry> PlatformData => _platformData;

    /// <summary>The team's grants on platform objects, applied each on its own: the target may refuse one.</summary>
    public IReadOnlyList<PlatformGrant> Grants => _grants;

    /// <summary>What the restore leaves out, and why.</summary>
    public IReadOnlyList<RestoreSkip> Skipped => _skipped;

    /// <summary>The number of the team's own objects restored (not counting platform rows and additions).</summary>
    public int TeamObjects => _listedEntries.Count(e => !_additions.Contains(e.DumpId) && !_platformData.Contains(e) && !IsSetting(e));

    public bool IsListed(int dumpId) => _listed.Contains(dumpId);

    /// <summary>True for an addition to a platform object: applied under a savepoint, skipped when refused.</summary>
    public bool IsAddition(int dumpId) => _additions.Contains(dumpId);

    /// <summary>The policies on platform tables the snapshot holds, to find them in a target.</summary>
    public IReadOnlyList<(string Schema, string Table, string Policy)> PlatformPolicies =>
        _listedEntries.Where(e => e.Description == "POLICY" && Platform.IsPlatformSchema(e.Namespace))
            .Select(e => SplitTag(e.Tag) is var (table, policy) ? (e.Namespace!, table, policy) : default).ToList();

    /// <summary>The platform tables ("schema"."table") whose rows the snapshot holds.</summary>
    public IReadOnlyList<(string Schema, string Table)> PlatformTables =>
        _platformData.Where(e => e.Description == "TABLE DATA").Select(e => (e.Namespace!, e.Tag)).ToList();

    /// <summary>
    /// Chooses from <paramref name="entries"/> for a target that has the extensions <paramref name="targetExtensions"/>
    /// (and can install <paramref name="availableExtensions"/>; null when unknown) and the publications
    /// <paramref name="targetPublications"/>.
    /// </summary>
    public static RestorePlan Create(IReadOnlyList<ArchiveTocEntry> entries, SupabasePlatform platform,
        IReadOnlySet<string> targetExtensions, IReadOnlySet<string> targetPublications, IReadOnlySet<string>? availableExtensions = null)
    {
        var plan = new RestorePlan(platform);
        var platformObjects = 0;
        var platformSchemas = new SortedSet<string>(StringComparer.Ordinal);
        var extensionsKept = new HashSet<string>(StringComparer.Ordinal);
        var sequenceTables = SequenceTables(entries, platform);
        foreach (var entry in entries)
        {
            var schema = string.IsNullOrEmpty(entry.Namespace) ? null : entry.Namespace;
            switch (entry.Description)
            {
                case "ENCODING" or "STDSTRINGS" or "SEARCHPATH":
                    plan.List(entry);
                    continue;
                case "DATABASE" or "DATABASE PROPERTIES":
                    continue;
                case "EVENT TRIGGER":
                    plan.Skip($"event trigger {entry.Tag}", "event triggers need a superuser; the target has the platform's own");
                    continue;
                case "EXTENSION":
                    if (targetExtensions.Contains(entry.Tag))
                        plan.Skip($"extension {entry.Tag}", "the target has it already");
                    else if (availableExtensions is not null && !availableExtensions.Contains(entry.Tag))
                        plan.Skip($"extension {entry.Tag}", "not available on the target's server (what needs it fails)");
                    else
                    {
                        extensionsKept.Add(entry.Tag);
                        plan.List(entry);
                    }
                    continue;
                case "PUBLICATION" when targetPublications.Contains(entry.Tag):
                    plan.Skip($"publication {entry.Tag}", "the target has it already (the team's tables in it are restored)");
                    continue;
                case "PUBLICATION TABLE" or "PUBLICATION TABLES IN SCHEMA":
                    if (platform.IsPlatformSchema(schema))
                        Count(schema!);
                    else
                        plan.Add(entry);
                    continue;
                case "SCHEMA" when platform.IsPlatformSchema(entry.Tag):
                    Count(entry.Tag);
                    continue;
            }
            if (schema is null)
            {
                // Comments, labels and grants of a schema or an extension follow it.
                var (kind, name) = SplitTag(entry.Tag);
                if (kind == "SCHEMA" && platform.IsPlatformSchema(name))
                {
                    if (entry.Description == "ACL")
                        plan.AddGrants(entry);
                    else
                        Count(name);
                    continue;
                }
                if (kind == "EXTENSION" && !extensionsKept.Contains(name.Trim('"')))
                    continue;
                plan.List(entry);
                continue;
            }
            if (!platform.IsPlatformSchema(schema))
            {
                plan.List(entry);
                continue;
            }
            switch (entry.Description)
            {
                case "TABLE DATA" when platform.IsBookkeeping(schema, entry.Tag):
                    plan.Skip($"rows of {schema}.{entry.Tag}", "the platform's bookkeeping; the target keeps its own");
                    break;
                case "SEQUENCE SET" when sequenceTables.TryGetValue((schema, entry.Tag), out var owner) && platform.IsBookkeeping(owner.Schema, owner.Table):
                    plan.Skip($"value of {schema}.{entry.Tag}", $"a sequence of the platform's bookkeeping table {owner.Schema}.{owner.Table}");
                    break;
                case "TABLE DATA" or "SEQUENCE SET":
                    plan.List(entry);
                    plan._platformData.Add(entry);
                    break;
                case "TRIGGER" when TriggerFunctionSchema(entry.Definition) is { } functionSchema && !platform.IsPlatformSchema(functionSchema):
                case "POLICY":
                    plan.Add(entry);
                    break;
                case "ACL":
                    plan.AddGrants(entry);
                    break;
                default:
                    Count(schema);
                    break;
            }
        }
        // Tables whose definition is here but whose rows are not: bookkeeping, left out at backup.
        foreach (var table in entries.Where(e => e.Description == "TABLE" && platform.IsPlatformSchema(e.Namespace) &&
                                                 platform.IsBookkeeping(e.Namespace!, e.Tag)))
        {
            if (!entries.Any(e => e.Description == "TABLE DATA" && e.Namespace == table.Namespace && e.Tag == table.Tag))
                plan.Skip($"rows of {table.Namespace}.{table.Tag}", "the platform's bookkeeping; the target keeps its own");
        }
        if (plan._platformGrants > 0)
            plan.Skip($"privileges of {plan._platformGrants} platform objects", "grants of the platform to its own roles; the target has its own");
        if (platformObjects > 0)
            plan._skipped.Insert(0, new RestoreSkip($"{platformObjects} platform objects (schemas {string.Join(", ", platformSchemas)})",
                "the platform's own: the target has them, and they are never dropped or recreated"));
        return plan;

        void Count(string platformSchema)
        {
            platformObjects++;
            platformSchemas.Add(platformSchema);
        }
    }

    /// <summary>
    /// The tables that own the platform's sequences (by OWNED BY, or as an identity column), so that the value of a
    /// bookkeeping table's sequence is left with its rows.
    /// </summary>
    private static Dictionary<(string Schema, string Sequence), (string Schema, string Table)> SequenceTables(
        IReadOnlyList<ArchiveTocEntry> entries, SupabasePlatform platform)
    {
        var owners = new Dictionary<(string, string), (string, string)>();
        foreach (var entry in entries.Where(e => platform.IsPlatformSchema(e.Namespace)))
        {
            var match = entry.Description switch
            {
                "SEQUENCE OWNED BY" => OwnedBy().Match(entry.Definition ?? ""),
                "SEQUENCE" => Identity().Match(entry.Definition ?? ""),
                _ => Match.Empty,
            };
            if (match.Success)
                owners[(entry.Namespace!, entry.Tag)] = (Unquote(match.Groups["schema"].Value), Unquote(match.Groups["table"].Value));
        }
        return owners;
    }

    private static string Unquote(string name) =>
        name.StartsWith('"') ? name[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal) : name;

    /// <summary>The schema of the function a trigger definition executes, or null when it names none.</summary>
    internal static string? TriggerFunctionSchema(string? definition)
    {
        if (definition is null)
            return null;
        var match = TriggerFunction().Match(definition);
        if (!match.Success)
            return null;
        return Unquote(match.Groups["schema"].Value);
    }

    /// <summary>
    /// The GRANTs of a platform object's ACL entry to roles that are not the platform's: one statement a line, as
    /// pg_dump writes them. REVOKEs and grants to reserved roles (and PUBLIC) are the platform's own.
    /// </summary>
    private void AddGrants(ArchiveTocEntry entry)
    {
        var kept = 0;
        foreach (var line in (entry.Definition ?? "").Split('\n'))
        {
            var match = Grant().Match(line);
            if (!match.Success)
                continue;
            var role = Unquote(match.Groups["grantee"].Value);
            if (role == "PUBLIC" || Platform.IsReservedRole(role))
                continue;
            _grants.Add(new PlatformGrant($"{entry.Tag} in {entry.Namespace ?? "the database"}", line.Trim()));
            kept++;
        }
        if (kept == 0)
            _platformGrants++;
    }

    private void List(ArchiveTocEntry entry)
    {
        if (_listed.Add(entry.DumpId))
            _listedEntries.Add(entry);
    }

    private void Add(ArchiveTocEntry entry)
    {
        List(entry);
        _additions.Add(entry.DumpId);
    }

    private void Skip(string what, string why) => _skipped.Add(new RestoreSkip(what, why));

    private static bool IsSetting(ArchiveTocEntry entry) => entry.Description is "ENCODING" or "STDSTRINGS" or "SEARCHPATH";

    /// <summary>"SCHEMA auth" → ("SCHEMA", "auth"); "EXTENSION pgcrypto" → ("EXTENSION", "pgcrypto").</summary>
    private static (string Kind, string Name) SplitTag(string tag)
    {
        var space = tag.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? ("", tag) : (tag[..space], tag[(space + 1)..]);
    }

    /// <summary>The pg_restore list (-L) of <see cref="Listed"/>: "dumpId; …" lines.</summary>
    public string ListFile() =>
        string.Concat(_listedEntries.Select(e => $"{e.DumpId}; 0 0 {e.Description} {e.Namespace ?? "-"} {e.Tag.Replace('\n', ' ')}\n"));

    [GeneratedRegex("""OWNED BY (?<schema>"(?:[^"]|"")+"|[^\s."]+)\.(?<table>"(?:[^"]|"")+"|[^\s."]+)\.""")]
    private static partial Regex OwnedBy();

    [GeneratedRegex("""^ALTER TABLE (?:ONLY )?(?<schema>"(?:[^"]|"")+"|[^\s."]+)\.(?<table>"(?:[^"]|"")+"|[^\s."]+) ALTER COLUMN .* ADD GENERATED""")]
    private static partial Regex Identity();

    [GeneratedRegex("""EXECUTE (?:FUNCTION|PROCEDURE) (?<schema>"(?:[^"]|"")+"|[^\s."(]+)\.""")]
    private static partial Regex TriggerFunction();

    [GeneratedRegex("""^GRANT .+ TO (?<grantee>"(?:[^"]|"")+"|[^\s";]+)( WITH GRANT OPTION)?;\s*$""")]
    private static partial Regex Grant();
}
