using System.Collections;
using System.Globalization;
using System.Reflection;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Bulwark.Operations.Configuration;

/// <summary>
/// Finds and reads bulwark.yml, checks every key against the configuration types (an unknown key is an error with
/// its line, not silently ignored), then applies BULWARK_* environment overrides.
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

    private static readonly INamingConvention Naming = HyphenatedNamingConvention.Instance;

    /// <summary>
    /// Loads the configuration: <paramref name="explicitPath"/> (--config), else BULWARK_CONFIG, else ./bulwark.yml,
    /// else $XDG_CONFIG_HOME/bulwark/bulwark.yml; with none, defaults and the environment.
    /// </summary>
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
        var valuePositions = new List<(Mark Start, string Key)>();
        CheckNode(stream.Documents[0].RootNode, typeof(BulwarkConfig), "", path, lines, valuePositions);
        try
        {
            var deserializer = new DeserializerBuilder().WithNamingConvention(Naming).Build();
            return deserializer.Deserialize<BulwarkConfig?>(text) ?? new BulwarkConfig();
        }
        catch (YamlException e)
        {
            var key = valuePositions.LastOrDefault(p => p.Start.Line == e.Start.Line).Key
                      ?? valuePositions.LastOrDefault(p => p.Start.Line <= e.Start.Line).Key;
            throw new BulwarkException(ErrorKind.Configuration,
                $"{path}:{e.Start.Line}: '{key}': {Describe(Innermost(e))}",
                "fix the value at that line");
        }
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private static string Describe(Exception e) => e switch
    {
        FormatException or OverflowException => "the value has the wrong type (" + e.Message + ")",
        _ => e.Message,
    };

    private static void CheckNode(YamlNode node, Type type, string key, string path, Dictionary<string, int> lines,
        List<(Mark, string)> valuePositions)
    {
        if (key.Length > 0)
            valuePositions.Add((node.Start, key));
        if (node is YamlScalarNode { Value: null or "" or "~" or "null" } && !IsScalar(type))
            return;
        if (IsScalar(type))
        {
            if (node is not YamlScalarNode)
                throw Error(path, node, key, $"expected a single value, found a {Kind(node)}");
            return;
        }
        if (ListItemType(type) is { } itemType)
        {
            if (node is not YamlSequenceNode sequence)
                throw Error(path, node, key, $"expected a list, found a {Kind(node)}");
            var i = 0;
            foreach (var item in sequence.Children)
                CheckNode(item, itemType, $"{key}[{i++}]", path, lines, valuePositions);
            return;
        }
        if (DictionaryValueType(type) is { } valueType)
        {
            if (node is not YamlMappingNode map)
                throw Error(path, node, key, $"expected a mapping of names to values, found a {Kind(node)}");
            foreach (var (k, v) in map.Children)
            {
                var childKey = $"{key}.{((YamlScalarNode)k).Value}";
                lines[childKey] = (int)k.Start.Line;
                CheckNode(v, valueType, childKey, path, lines, valuePositions);
            }
            return;
        }
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
            CheckNode(v, property.PropertyType, childKey, path, lines, valuePositions);
        }
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
    private static IEnumerable<(string Name, PropertyInfo Property)> ConfigProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .Select(p => (p.GetCustomAttribute<YamlMemberAttribute>()?.Alias ?? Naming.Apply(p.Name), p));

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
                property.SetValue(owner(), Convert(value, property.PropertyType));
            }
            catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
            {
                throw new BulwarkException(ErrorKind.Configuration,
                    $"{variable} (for '{key}'): '{value}' is not a valid {Describe(property.PropertyType)}",
                    "fix or unset the variable");
            }
        }
        return applied;
    }

    private static IEnumerable<(string Variable, string Key, Func<object> Owner, PropertyInfo Property)> Overridable(
        object? instance, Type type, string key, string variable)
    {
        foreach (var (name, property) in ConfigProperties(type))
        {
            var childKey = key.Length == 0 ? name : $"{key}.{name}";
            var childVariable = $"{variable}_{name.Replace('-', '_').ToUpperInvariant()}";
            var propertyType = property.PropertyType;
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

    private static object? Convert(string value, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
            return value.Length == 0 ? null : Convert(value, underlying);
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
                list.Add(Convert(part, item));
            return list;
        }
        return System.Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
    }

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

    private static void ValidateSections(LoadedConfig loaded, object section, string key)
    {
        if (section is IConfigSection validating)
            validating.Validate(loaded, key);
        foreach (var (name, property) in ConfigProperties(section.GetType()))
        {
            if (IsScalar(property.PropertyType) || ListItemType(property.PropertyType) is not null ||
                DictionaryValueType(property.PropertyType) is not null || !property.PropertyType.IsClass)
                continue;
            if (property.GetValue(section) is { } child)
                ValidateSections(loaded, child, key.Length == 0 ? name : $"{key}.{name}");
        }
    }
}
