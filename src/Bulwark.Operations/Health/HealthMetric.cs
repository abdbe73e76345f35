using System.Globalization;

namespace Bulwark.Operations.Health;

/// <summary>A number a check measured, with its thresholds: Nagios perfdata and Prometheus gauges.</summary>
/// <param name="Unit">"s", "B", "%" or "" (a count).</param>
/// <param name="Below">The thresholds are lower bounds (free space): a value below them is the problem.</param>
/// <param name="Source">The source the number is about ('sources:'); null for the repository as a whole.</param>
public sealed record HealthMetric(string Name, double Value, string Unit = "", double? Warning = null,
    double? Critical = null, double? Min = null, double? Max = null, bool Below = false, string? Source = null)
{
    /// <summary>'label'=value[UOM];[warn];[crit];[min];[max] (Nagios plugin guidelines; "N:" alerts below N).</summary>
    public string ToPerfData()
    {
        static string F(double? v) => v is { } x ? x.ToString("0.###", CultureInfo.InvariantCulture) : "";
        string T(double? v) => v is null ? "" : Below ? F(v) + ":" : F(v);
        return $"'{Name}{(Source is null ? "" : ":" + Source)}'={F(Value)}{Unit};{T(Warning)};{T(Critical)};{F(Min)};{F(Max)}".TrimEnd(';');
    }
}
