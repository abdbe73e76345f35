namespace Bulwark.Operations.Configuration;

/// <summary>A configuration section that checks its own values after loading.</summary>
public interface IConfigSection
{
    /// <summary>Throws <see cref="LoadedConfig.Error"/> for a wrong value; <paramref name="key"/> is the section's path.</summary>
    void Validate(LoadedConfig config, string key);
}
