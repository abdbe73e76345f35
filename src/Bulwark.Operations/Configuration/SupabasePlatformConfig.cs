using Bulwark.Sources.Postgres.Supabase;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// 'postgres.supabase.platform': each list, when set, replaces the built-in one of <see cref="SupabasePlatform"/>
/// (for when the platform adds a schema or a role before Bulwark knows of it); unset lists keep the built-in ones.
/// </summary>
public sealed class SupabasePlatformConfig : IConfigSection
{
    /// <summary>Schemas the platform owns.</summary>
    public List<string>? Schemas { get; set; }

    /// <summary>Roles the platform creates in every project.</summary>
    public List<string>? ReservedRoles { get; set; }

    /// <summary>Name prefixes of further reserved roles.</summary>
    public List<string>? ReservedRolePrefixes { get; set; }

    /// <summary>Tables ("schema.table") whose rows are the platform's own state and are not backed up.</summary>
    public List<string>? BookkeepingTables { get; set; }

    public SupabasePlatform ToPlatform()
    {
        var defaults = SupabasePlatform.Default;
        return new SupabasePlatform
        {
            Schemas = Schemas ?? defaults.Schemas,
            ReservedRoles = ReservedRoles ?? defaults.ReservedRoles,
            ReservedRolePrefixes = ReservedRolePrefixes ?? defaults.ReservedRolePrefixes,
            BookkeepingTables = BookkeepingTables ?? defaults.BookkeepingTables,
        };
    }

    public void Validate(LoadedConfig config, string key)
    {
        Check("schemas", Schemas, name => !name.Contains('.', StringComparison.Ordinal), "a schema name, e.g. auth");
        Check("reserved-roles", ReservedRoles, _ => true, "a role name, e.g. anon");
        Check("reserved-role-prefixes", ReservedRolePrefixes, _ => true, "a prefix, e.g. supabase_");
        Check("bookkeeping-tables", BookkeepingTables,
            name => name.Split('.') is [{ Length: > 0 }, { Length: > 0 }], "schema.table, e.g. auth.schema_migrations");

        void Check(string name, List<string>? values, Func<string, bool> valid, string expected)
        {
            foreach (var value in values ?? [])
            {
                if (string.IsNullOrWhiteSpace(value) || value != value.Trim() || !valid(value))
                    throw config.Error($"{key}.{name}", $"'{value}' is not {expected}", $"each entry is {expected}");
            }
        }
    }
}
