using Widgetify.PoolReview.History;
using Widgetify.PoolReview.Rules;

namespace Widgetify.PoolReview.Tests.Rules;

/// <summary>Review inputs as the reader would gather them, with the embedded server's limits and Widgetify's shipped
/// settings unless a test says otherwise.</summary>
internal static class ReviewInputs
{
    public static readonly DateTimeOffset At = new(2026, 2, 15, 9, 0, 0, TimeSpan.Zero);

    public static ServerSettings Primary(int? maxPoolSize = null, int reservedForOthers = 10, int connectTimeout = 3, int commandTimeout = 10,
        int connectionLifetime = 3600, bool budget = true) => new()
    {
        Server = PoolHistory.PrimaryServer,
        MaxPoolSize = maxPoolSize,
        MaxPoolSizeSetting = "Database:MaxPoolSize",
        BudgetEnforced = budget,
        ReservedForOtherClients = reservedForOthers,
        ReservedForOtherClientsSetting = "ConnectionBudget:ReservedForOtherClients",
        ConnectTimeoutSeconds = connectTimeout,
        CommandTimeoutSeconds = commandTimeout,
        ConnectionLifetimeSeconds = connectionLifetime,
        ConnectionStringSetting = "Database:ConnectionString",
    };

    public static ServerFacts Facts(int maxConnections = 100, int superuserReserved = 3, int otherClients = 0,
        long idleInTransactionMs = 60_000, long idleSessionMs = 0, int? cores = null) => new()
    {
        Server = PoolHistory.PrimaryServer,
        Address = "127.0.0.1:5432",
        MaxConnections = maxConnections,
        SuperuserReservedConnections = superuserReserved,
        OtherClients = otherClients,
        IdleInTransactionSessionTimeoutMs = idleInTransactionMs,
        IdleSessionTimeoutMs = idleSessionMs,
        CpuCores = cores,
    };

    public static ServerHistorySummary Recorded(int minutes, int peakInUse = 4, double openRate = 10, double? holdP99 = 0.2,
        int peakWaiting = 0, double? acquireP99 = 0.001, long? timeouts = 0) => new()
    {
        Server = PoolHistory.PrimaryServer,
        Instances = 1,
        MinutesCovered = minutes,
        PeakInUse = peakInUse,
        PeakInUseAllInstances = peakInUse,
        PeakWaiting = peakWaiting,
        AcquireWaitP99Seconds = acquireP99,
        MaxHoldTimeP99Seconds = holdP99,
        PeakOpenRate = openRate,
        Timeouts = timeouts,
    };

    public static ReviewInput Input(ServerSettings settings, ServerFacts facts, ServerHistorySummary? history = null, int instances = 1,
        RequestDeadlines? deadlines = null) => new()
    {
        GeneratedAt = At,
        Instances = instances,
        InstancesSource = "--instances",
        Deadlines = deadlines ?? new RequestDeadlines(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10)),
        Servers = [new ServerReviewInput(settings, facts, history)],
    };

    public static Finding[] For(this ReviewReport report, string setting) => [.. report.Findings.Where(f => f.Setting == setting)];
}
