using Widgetify.Overload.Routing;
using Widgetify.PoolReview.History;

namespace Widgetify.Api.Data;

/// <summary>The standbys' pools for the pool history, as the read router sees them each second.</summary>
internal sealed class StandbyPools(ReadRouter router) : IServerPoolSource
{
    public IReadOnlyList<ServerPoolGauge> GetServers() => From(router.StandbyStatuses());

    /// <summary>InFlight counts the reads waiting at a full share too; in use is what holds a connection.</summary>
    internal static IReadOnlyList<ServerPoolGauge> From(IReadOnlyList<ReadServerStatus> standbys) =>
        [.. standbys.Select(s => new ServerPoolGauge(s.Name, Math.Max(0, s.InFlight - s.Waiting), s.Waiting, s.Share, s.ReadsServed))];
}
