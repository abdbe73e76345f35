namespace Bulwark.Operations.Scheduling;

/// <summary>IANA time zone lookup that answers instead of throwing.</summary>
public static class TimeZones
{
    public static bool TryFind(string name, out TimeZoneInfo zone)
    {
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(name);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }
}
