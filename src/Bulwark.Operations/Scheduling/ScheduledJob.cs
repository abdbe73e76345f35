using Cronos;

namespace Bulwark.Operations.Scheduling;

/// <summary>A job and when it runs.</summary>
public sealed record ScheduledJob(string Name, string Expression, CronExpression Cron);
