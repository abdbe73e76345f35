using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// Finds and reads bulwark.yml, checks every key against the configuration types (an unknown key is an error with
/// its line, not silently ignored) while it builds them from the YAML nodes, then applies BULWARK_* environment
/// overrides. The configuration types are read through their public properties; the native build keeps those for
/// every type named by <see cref="DynamicDependencyAttribute"/> on <see cref="Load"/> (a test checks the list).
/// </summary>
public static class ConfigLoader
{
    public const string FileName = "bulwark.yml";

    /// <summary>Variables that are not configuration keys.</summary>
    private static readonly HashSet<string> ReservedVariables =
    [
        "BULWARK_CONFIG", "BULWARK_PASSWORD", "BULWARK_PASSWORD_FILE", "BULWARK_PASSWORD_COMMAND", "BULWARK_PG_SERVER_BIN",
        "BULWARK_DEBUG", "BULWARK_NO_BUILD", "BULWARK_NEW_PASSWORD", "BULWARK_NEW_PASSWORD_FILE",
    ];

    /// <summary>What the loader reads of a configuration type.</summary>
    internal const DynamicallyAccessedMemberTypes Members =
        DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor;

    /// <summary>
    /// Loads the configuration: <paramref name="explicitPath"/> (--config), else BULWARK_CONFIG, else ./bulwark.yml,
    /// else $XDG_CONFIG_HOME/bulwark/bulwark.yml; with none, defaults and the environment.
    /// </summary>
    [DynamicDependency(Members, typeof(BulwarkConfig))]
    [DynamicDependency(Members, typeof(StorageConfig))]
    [DynamicDependency(Members, typeof(S3Config))]
    [DynamicDependency(Members, typeof(AzureConfig))]
    [DynamicDependency(Members, typeof(PostgresConfig))]
    [DynamicDependency(Members, typeof(SourceConfig))]
    [DynamicDependency(Members, typeof(SourceScheduleConfig))]
    [DynamicDependency(Members, typeof(List<SourceConfig>))]
    [DynamicDependency(Members, typeof(SupabaseConfig))]
    [DynamicDependency(Members, typeof(SupabasePlatformConfig))]
    [DynamicDependency(Members, typeof(SupabaseStorageConfig))]
    [DynamicDependency(Members, typeof(BackupConfig))]
    [DynamicDependency(Members, typeof(RetentionConfig))]
    [DynamicDependency(Members, typeof(CleanupConfig))]
    [DynamicDependency(Members, typeof(CheckConfig))]
    [DynamicDependency(Members, typeof(DrillConfig))]
    [DynamicDependency(Members, typeof(AlertsConfig))]
    [DynamicDependency(Members, typeof(ScheduleConfig))]
    [DynamicDependency(Members, typeof(DaemonConfig))]
    [DynamicDependency(Members, typeof(ModulesConfig))]
    [DynamicDependency(Members, typeof(List<string>))]
    [DynamicDependency(Members, typeof(Dictionary<string, string>))]
    public static LoadedConfig Load(string? explicitPath, string currentDirectory, Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var path = Find(explicitPath, currentDirectory, environment);
        var lines = new Dictionary<string, int>();
        BulwarkConfig config;
        if (path is null)
        {
            config = new BulwarkConfig();
        }
        else
        {
            string text;
            try
            {
                text = File.ReadAllText(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BulwarkException(ErrorKind.Configuration, $"cannot read {path}: {e.Message}",
                    "check that the file exists and is readable");
            }
            config = Parse(text, path, lines);
        }
        var environmentKeys = ApplyEnvironment(config, environment);
        var baseDirectory = path is null ? currentDirectory : Path.GetDirectoryName(Path.GetFullPath(path))!;
        var loaded = new LoadedConfig(config, path, baseDirectory, lines, environmentKeys, environment);
        Validate(loaded);
        return loaded;
    }

    private static string? Find(string? explicitPath, string currentDirectory, Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            var full = Path.GetFullPath(explicitPath, currentDirectory);
            return File.Exists(full)
                ? full
                : throw new BulwarkException(ErrorKind.Configuration, $"configuration file {full} does not exist",
                    "check the path given to --config, or create it with 'bulwark init'");
        }
        if (environment("BULWARK_CONFIG") is { Length: > 0 } fromEnvironment)
        {
            var full = Path.GetFullPath(fromEnvironment, currentDirectory);
            return File.Exists(full)
                ? full
                : throw new BulwarkException(ErrorKind.Configuration, $"BULWARK_CONFIG names {full}, which does not exist",
                    "fix or unset BULWARK_CONFIG");
        }
        var local = Path.Combine(currentDirectory, FileName);
        if (File.Exists(local))
            return local;
        var xdg = environment("XDG_CONFIG_HOME");
        var home = environment("HOME");
        var configHome = !string.IsNullOrEmpty(xdg) ? xdg : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".config");
        if (configHome is not null)
        {
            var user = Path.Combine(configHome, "bulwark", FileName);
            if (File.Exists(user))
                return user;
        }
        return null;
    }

    private static BulwarkConfig Parse(string text, string path, Dictionary<string, int> lines)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new BulwarkException(ErrorKind.Configuration,
                $"{path}:{e.Start.Line}:{e.Start.Column}: not valid YAML: {Innermost(e).Message}",
                "fix the syntax at that line");
        }
        if (stream.Documents.Count == 0)
            return new BulwarkConfig();
        var config = new BulwarkConfig();
        Fill(config, stream.Documents[0].RootNode, typeof(BulwarkConfig), "", path, lines);
        return config;
    }

    /// <summary>
    /// Sets the properties of <paramref name="section"/> that the mapping <paramref name="node"/> names; an unknown
    /// key, a value of the wrong shape or type is an error with its line. Sections left out keep their defaults.
    /// </summary>
    private static void Fill(object section, YamlNode node, [DynamicallyAccessedMembers(Members)] Type type, string key,
        string path, Dictionary<string, int> lines)
    {
        if (IsNull(node))
            return;
        if (node is not YamlMappingNode mapping)
            throw Error(path, node, key, $"expected a section of keys, found a {Kind(node)}");
        var properties = ConfigProperties(type).ToDictionary(p => p.Name, p => p.Property);
        foreach (var (k, v) in mapping.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "";
            var childKey = key.Length == 0 ? name : $"{key}.{name}";
            if (!properties.TryGetValue(name, out var property))
                throw new BulwarkException(ErrorKind.Configuration,
                    $"{path}:{k.Start.Line}: unknown key '{childKey}'",
                    $"the keys{(key.Length == 0 ? "" : " under '" + key + "'")} are: {string.Join(", ", properties.Keys)}");
            lines[childKey] = (int)k.Start.Line;
            var propertyType = PropertyType(property);
            if (IsSection(propertyType))
            {
                if (IsNull(v))
                    continue;
                var child = property.GetValue(section);
                if (child is null)
                {
                    child = Activator.CreateInstance(propertyType)!;
                    property.SetValue(section, child);
                }
                Fill(child, v, propertyType, childKey, path, lines);
            }
            else if (Value(v, propertyType, childKey, path, lines) is { } value)
            {
                property.SetValue(section, value);
            }
            else if (!propertyType.IsValueType || Nullable.GetUnderlyingType(propertyType) is not null)
            {
                property.SetValue(section, null);
            }
        }
    }

    /// <summary>A single value, a list or a mapping of names to values; null for an empty value.</summary>
    private static object? Value(YamlNode node, [DynamicallyAccessedMembers(Members)] Type type, string key, string path,
        Dictionary<string, int> lines)
    {
        if (IsNull(node) && !(type == typeof(string) && node is YamlScalarNode { Style: not ScalarStyle.Plain }))
            return null;
        if (IsScalar(type))
        {
            if (node is not YamlScalarNode scalar)
                throw Error(path, node, key, $"expected a single value, found a {Kind(node)}");
            try
            {
                return Convert(scalar.Value ?? "", type);
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException or InvalidCastException)
            {
                throw Error(path, node, key, $"the value has the wrong type ('{scalar.Value}' is not a valid {Describe(type)})");
            }
        }
        if (ListItemType(type) is { } itemType && IsScalar(itemType))
        {
            if (node is not YamlSequenceNode sequence)
                throw Error(path, node, key, $"expected a list, found a {Kind(node)}");
            var list = (IList)Activator.CreateInstance(type)!;
            var i = 0;
            foreach (var item in sequence.Children)
                list.Add(Value(item, UnderlyingType(itemType), $"{key}[{i++}]", path, lines));
            return list;
        }
        if (ListItemType(type) is { } sectionType && IsSection(sectionType))
        {
            if (node is not YamlSequenceNode sequence)
                throw Error(path, node, key, $"expected a list, found a {Kind(node)}");
            var list = (IList)Activator.CreateInstance(type)!;
            var i = 0;
            foreach (var item in sequence.Children)
            {
                var kept = SectionItemType(sectionType);
                var section = Activator.CreateInstance(kept)!;
                Fill(section, item, kept, $"{key}[{i++}]", path, lines);
                list.Add(section);
            }
            return list;
        }
        if (DictionaryValueType(type) is { } valueType && IsScalar(valueType))
        {
            if (node is not YamlMappingNode map)
                throw Error(path, node, key, $"expected a mapping of names to values, found a {Kind(node)}");
            var dictionary = (IDictionary)Activator.CreateInstance(type)!;
            foreach (var (k, v) in map.Children)
            {
                var childKey = $"{key}.{((YamlScalarNode)k).Value}";
                lines[childKey] = (int)k.Start.Line;
                dictionary[((YamlScalarNode)k).Value ?? ""] = Value(v, UnderlyingType(valueType), childKey, path, lines);
            }
            return dictionary;
        }
        throw new InvalidOperationException($"configuration key '{key}' has a type the loader does not read: {type}");
    }

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" };

    /// <summary>A section of keys: a class of the configuration, not a value, list or mapping.</summary>
    private static bool IsSection(Type type) =>
        !IsScalar(type) && ListItemType(type) is null && DictionaryValueType(type) is null && type.IsClass;

    [UnconditionalSuppressMessage("Trimming", "IL2073",
        Justification = "every configuration type is kept with its public properties and constructor by the DynamicDependency list on Load")]
    [return: DynamicallyAccessedMembers(Members)]
    private static Type PropertyType(PropertyInfo property) => property.PropertyType;

    [UnconditionalSuppressMessage("Trimming", "IL2068",
        Justification = "list items that are sections are configuration types that the DynamicDependency list on Load keeps")]
    [return: DynamicallyAccessedMembers(Members)]
    private static Type SectionItemType(Type type) => type;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private static BulwarkException Error(string path, YamlNode node, string key, string message) =>
        new(ErrorKind.Configuration, $"{path}:{node.Start.Line}: '{key}': {message}", "fix the value at that line");

    private static string Kind(YamlNode node) => node switch
    {
        YamlMappingNode => "section of keys",
        YamlSequenceNode => "list",
        _ => "single value",
    };

    /// <summary>Every configuration key of <paramref name="type"/> with its hyphenated name.</summary>
    private static IEnumerable<(string Name, PropertyInfo Property)> ConfigProperties([DynamicallyAccessedMembers(Members)] Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .Select(p => (p.GetCustomAttribute<YamlMemberAttribute>()?.Alias ?? KeyName(p.Name), p));

    /// <summary>
    /// A property's key: "DiskFreeWarning" is "disk-free-warning", as YamlDotNet's hyphenated naming convention has it,
    /// but ordinal. That convention lower-cases through the current culture, and the first culture-aware casing of a
    /// process builds an ICU collator: 'list' took 26 ms instead of 15.
    /// </summary>
    public static string KeyName(string propertyName)
    {
        var key = new StringBuilder(propertyName.Length + 8);
        for (var i = 0; i < propertyName.Length; i++)
        {
            var c = propertyName[i];
            if (char.IsAsciiLetterUpper(c))
            {
                if (i > 0)
                    key.Append('-');
                key.Append((char)(c | 0x20));
            }
            else
            {
                key.Append(c);
            }
        }
        return key.ToString();
    }

    private static bool IsScalar(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) ||
               type == typeof(TimeSpan) || type == typeof(DateTimeOffset);
    }

    private static Type? ListItemType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) ? type.GetGenericArguments()[1] : null;

    /// <summary>Applies BULWARK_* variables; returns key → variable for error messages.</summary>
    private static Dictionary<string, string> ApplyEnvironment(BulwarkConfig config, Func<string, string?> environment)
    {
        var applied = new Dictionary<string, string>();
        foreach (var (variable, key, owner, property) in Overridable(config, typeof(BulwarkConfig), "", "BULWARK"))
        {
            if (ReservedVariables.Contains(variable) || environment(variable) is not { } value)
                continue;
            applied[key] = variable;
            try
            {
                property.SetValue(owner(), Convert(value, PropertyType(property)));
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new BulwarkException(ErrorKind.Configuration,
                    $"{variable} (for '{key}'): '{value}' is not a valid {Describe(PropertyType(property))}",
                    "fix or unset the variable");
            }
        }
        return applied;
    }

    private static IEnumerable<(string Variable, string Key, Func<object> Owner, PropertyInfo Property)> Overridable(
        object? instance, [DynamicallyAccessedMembers(Members)] Type type, string key, string variable)
    {
        foreach (var (name, property) in ConfigProperties(type))
        {
            var childKey = key.Length == 0 ? name : $"{key}.{name}";
            var childVariable = $"{variable}_{name.Replace('-', '_').ToUpperInvariant()}";
            var propertyType = PropertyType(property);
            if (IsScalar(propertyType) || ListItemType(propertyType) is { } item && IsScalar(item))
            {
                var owner = instance;
                yield return (childVariable, childKey, () => owner!, property);
            }
            else if (ListItemType(propertyType) is null && DictionaryValueType(propertyType) is null && propertyType.IsClass)
            {
                var child = instance is null ? null : property.GetValue(instance);
                if (child is null && instance is not null)
                {
                    child = Activator.CreateInstance(propertyType);
                    property.SetValue(instance, child);
                }
                foreach (var nested in Overridable(child, propertyType, childKey, childVariable))
                    yield return nested;
            }
        }
    }

    private static object? Convert(string value, [DynamicallyAccessedMembers(Members)] Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying)
            return value.Length == 0 ? null : Convert(value, UnderlyingType(underlying));
        if (type == typeof(string))
            return value;
        if (type == typeof(bool))
            return value.ToLowerInvariant() switch
            {
                "true" or "yes" or "on" or "1" => true,
                "false" or "no" or "off" or "0" => false,
                _ => throw new FormatException(),
            };
        if (type.IsEnum)
            return Enum.Parse(type, value.Replace("-", "", StringComparison.Ordinal), ignoreCase: true);
        if (ListItemType(type) is { } item)
        {
            var list = (IList)Activator.CreateInstance(type)!;
            foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                list.Add(Convert(part, UnderlyingType(item)));
            return list;
        }
        return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

    /// <summary>A value type of a configuration key (a scalar: nothing of it is read by reflection).</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2068", Justification = "scalars (numbers, booleans, strings) are converted, not reflected on")]
    [return: DynamicallyAccessedMembers(Members)]
    private static Type UnderlyingType(Type type) => type;

    private static string Describe(Type type) =>
        type == typeof(bool) ? "boolean (true or false)"
        : type == typeof(int) || type == typeof(long) ? "whole number"
        : ListItemType(type) is not null ? "comma-separated list"
        : type.Name.ToLowerInvariant();

    private static void Validate(LoadedConfig loaded)
    {
        ValidateSections(loaded, loaded.Config, "");
        ValidateSources(loaded);
    }

    private static void ValidateSources(LoadedConfig loaded)
    {
        var sources = loaded.Config.Sources;
        if (sources.Count == 0)
            return;
        if (loaded.LineOf("postgres") is not null)
            throw loaded.Error("postgres", "'postgres:' and 'sources:' are both set",
                "move the connection into one of the sources (each has its own 'postgres:'), or remove 'sources:'");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < sources.Count; i++)
        {
            var key = $"sources[{i}]";
            ValidateSections(loaded, sources[i], key);
            if (!seen.Add(sources[i].Name!))
                throw loaded.Error($"{key}.name", $"another source is already named '{sources[i].Name}'", "give every source its own name");
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2073",
        Justification = "sections are instances of the configuration types that the DynamicDependency list on Load keeps")]
    [return: DynamicallyAccessedMembers(Members)]
    private static Type SectionType(object section) => section.GetType();

    private static void ValidateSections(LoadedConfig loaded, object section, string key)
    {
        if (section is IConfigSection validating)
            validating.Validate(loaded, key);
        foreach (var (name, property) in ConfigProperties(SectionType(section)))
        {
            if (!IsSection(property.PropertyType))
                continue;
            if (property.GetValue(section) is { } child)
                ValidateSections(loaded, child, key.Length == 0 ? name : $"{key}.{name}");
        }
    }
}
