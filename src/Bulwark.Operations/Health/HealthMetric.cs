using System.Globalization;

namespace Bulwark.Operations.Health;

/// <summary>A number a check measured, with its thresholds: Nagios perfdata and Prometheus gauges.</summary>
/// <param name="Unit">"s", "B", "%" or "" (a count).</param>
public sealed record HealthMetric(string Name, double Value, string Unit = "", double? Warning = null,
    double? Critical = null, double? Min = null, double? Max = null)
{
    /// <summary>'label'=value[UOM];[warn];[crit];[min];[max] (Nagios plugin guidelines).</summary>
    public string ToPerfData()
    {
        static string F(double? v) => v is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) : "";
        return $"'{Name}'={F(Value)}{Unit};{F(Warning)};{F(Critical)};{F(Min)};{F(Max)}".TrimEnd(';');
    }
}
