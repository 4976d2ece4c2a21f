namespace Widgetify.Api.Polls;

/// <summary>Registers poll voting: the store, the per-IP ceiling and the vote writer (group commit).</summary>
internal static class PollsServiceCollectionExtensions
{
    /// <summary>Register after the pool governor's hosted service, so that the writer (stopped in reverse order) drains
    /// its queue while the connection share still holds.</summary>
    public static IServiceCollection AddPolls(this IServiceCollection services)
    {
        services.AddSingleton<PollStore>();
        services.AddSingleton<VoteRateLimiter>();
        services.AddSingleton<VoteWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<VoteWriter>());
        return services;
    }
}
