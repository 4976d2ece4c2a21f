using System.Globalization;
using Widgetify.Bench.Processes;

namespace Widgetify.Bench.Storm;

/// <summary>One of the storm's service configurations: a name, the environment it runs with, and whether it
/// reaches PostgreSQL through PgBouncer.</summary>
internal sealed record BenchConfiguration(int Number, string Name, string Description, IReadOnlyDictionary<string, string> Environment, bool UsesPgBouncer)
{
    /// <summary>The configuration with Widgetify's own defaults; the capacity ramp runs against it.</summary>
    public const int WidgetifyNumber = 5;

    /// <summary>The configuration that reaches PostgreSQL through PgBouncer.</summary>
    public const int PgBouncerNumber = 4;

    /// <summary>The configuration with ASP.NET Core's ConcurrencyLimiter.</summary>
    public const int ConcurrencyLimiterNumber = 3;

    /// <summary>Widgetify without its guard: differs from <see cref="WidgetifyNumber"/> only in admission control (off).</summary>
    public const int UnguardedNumber = 6;

    /// <summary>Widgetify with the CPU shed: differs from <see cref="WidgetifyNumber"/> only in Admission:CpuShed (on).</summary>
    public const int WithCpuShedNumber = 7;

    private const string AdmissionMode = "Widgetify__Admission__Mode";
    private const string BudgetEnabled = "Widgetify__ConnectionBudget__Enabled";

    public static IReadOnlyList<BenchConfiguration> All { get; } =
    [
        new(1, "Feb 15", "no admission control, no budget, Max Pool Size 1000 (the outage's setup)",
            new Dictionary<string, string> { [AdmissionMode] = "Off", [BudgetEnabled] = "false", ["Widgetify__Database__MaxPoolSize"] = "1000" },
            UsesPgBouncer: false),
        new(2, "Npgsql defaults", "no admission control, no budget, Npgsql's default pool (100)",
            new Dictionary<string, string> { [AdmissionMode] = "Off", [BudgetEnabled] = "false" },
            UsesPgBouncer: false),
        new(3, "ASP.NET ConcurrencyLimiter", "ASP.NET Core's ConcurrencyLimiter (50 permits, FIFO queue 500, 503 on reject), no budget",
            new Dictionary<string, string> { [AdmissionMode] = "Static", [BudgetEnabled] = "false" },
            UsesPgBouncer: false),
        new(PgBouncerNumber, "PgBouncer", $"no admission control, no budget, through PgBouncer (transaction pooling, default_pool_size {PgBouncerProcess.DefaultPoolSize})",
            new Dictionary<string, string> { [AdmissionMode] = "Off", [BudgetEnabled] = "false" },
            UsesPgBouncer: true),
        new(WidgetifyNumber, "Widgetify", "Widgetify's defaults: connection budget and adaptive admission control",
            new Dictionary<string, string>(),
            UsesPgBouncer: false),
        new(UnguardedNumber, "Widgetify unguarded", "as 5 but admission control off (Admission:Mode=Off), the connection budget kept: the guard's overhead",
            new Dictionary<string, string> { [AdmissionMode] = "Off" },
            UsesPgBouncer: false),
        new(WithCpuShedNumber, "Widgetify + CPU shed", "as 5 but with the CPU shed (Admission:CpuShed=true): what shedding for saturated processors changes",
            new Dictionary<string, string> { ["Widgetify__Admission__CpuShed"] = "true" },
            UsesPgBouncer: false),
    ];

    /// <summary>The application_name its connections carry in pg_stat_activity.</summary>
    public string ApplicationName => ApplicationNameOf(Number);

    /// <summary>The application_name of configuration <paramref name="number"/>'s connections.</summary>
    public static string ApplicationNameOf(int number) => string.Create(CultureInfo.InvariantCulture, $"widgetify-bench-{number}");
}
